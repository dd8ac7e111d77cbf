import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { waitFor } from '@hazardwatch/testkit';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileShare {
  name: string;
  ms: number;
  /** Share of the sampled time that was not idle. */
  pctOfBusy: number;
}

export interface ProfileSummary {
  file: string;
  wallMs: number;
  idleMs: number;
  busyMs: number;
  /** Self time grouped by npm package, workspace file, node: module or V8 bucket (GC, program). */
  byArea: ProfileShare[];
  /** Functions with the most self time. */
  topFunctions: ProfileShare[];
}

/**
 * The file a profiled process is to write its profile to: `dir/name`, with `dir` created first
 * (mkdir -p). The process writes it itself and cannot report a missing directory to the bench,
 * which would only time out waiting for the file.
 */
export function cpuProfilePath(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}

/** Where a frame's code lives: an npm package, a file of this repository, a node: module, or a V8 bucket. */
export function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return url;
  const m = /\/((?:packages|services|simulators|tests)\/.+)$/.exec(url);
  return m?.[1] ?? url;
}

/** Summarise a V8 .cpuprofile (`node --cpu-prof`): self time by area and the hottest functions. */
export async function summariseCpuProfile(file: string, top = 25): Promise<ProfileSummary> {
  const p = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  // Stopping the profiler runs inside the sampled process (node:inspector): its own cost is not ingest's.
  const excluded = new Set<number>();
  const exclude = (id: number) => {
    excluded.add(id);
    for (const c of byId.get(id)?.children ?? []) exclude(c);
  };
  for (const n of p.nodes) if (n.callFrame.url.startsWith('node:inspector') && !excluded.has(n.id)) exclude(n.id);
  const selfUs = new Map<number, number>();
  p.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const areas = new Map<string, number>();
  const fns = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n || excluded.has(id)) continue;
    totalUs += us;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${url ? `${area}:${lineNumber + 1}` : ''}`.trim();
    fns.set(fn, (fns.get(fn) ?? 0) + us);
  }
  const busyUs = totalUs - idleUs;
  const rank = (m: Map<string, number>, limit: number): ProfileShare[] =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, ms: Math.round(us / 1000), pctOfBusy: Math.round((1000 * us) / Math.max(1, busyUs)) / 10 }));
  return {
    file,
    wallMs: Math.round((p.endTime - p.startTime) / 1000),
    idleMs: Math.round(idleUs / 1000),
    busyMs: Math.round(busyUs / 1000),
    byArea: rank(areas, 30),
    topFunctions: rank(fns, top),
  };
}

/**
 * The summary of a profile a process writes on its second SIGUSR2 (signal-profiler.ts), once the
 * file is there and parses: it is written in place, so being there is not enough.
 */
export async function awaitCpuProfile(file: string, what: string, timeoutMs: number): Promise<ProfileSummary> {
  let summary: ProfileSummary | undefined;
  await waitFor(
    () =>
      summariseCpuProfile(file).then(
        (x) => {
          summary = x;
          return true;
        },
        () => false,
      ),
    { what, timeoutMs },
  );
  return summary as ProfileSummary;
}
