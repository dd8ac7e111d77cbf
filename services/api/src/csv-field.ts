/**
 * A CSV field: quoted when it holds a separator, a quote or a line break; a leading
 * `=`, `+`, `@` or `-` (not a number) gets a `'` so a spreadsheet shows it instead of
 * evaluating it (CSV formula injection: units and names are user text).
 */
export function csvField(s: string): string {
  const safe = /^[=+@\t\r]|^-(?![\d.])/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
