import { pointSubject } from './kind-engine.js';

/** Subjects of a rule with one alarm per point. */
export type PerPoint = { readonly subjects: ReadonlyMap<number, string>; readonly owned: ReadonlySet<string>; pointOf(subject: string): number | undefined };

export function perPoint(pointIds: readonly number[]): PerPoint {
  const subjects = new Map(pointIds.map((id) => [id, pointSubject(id)] as const));
  const points = new Map(pointIds.map((id) => [pointSubject(id), id] as const));
  return { subjects, owned: new Set(subjects.values()), pointOf: (s) => points.get(s) };
}
