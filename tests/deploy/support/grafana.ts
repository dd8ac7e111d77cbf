import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const DASHBOARD_DIR = join(REPO_ROOT, 'deploy/grafana/dashboards');

/** The fields of a provisioned dashboard these tests read (Grafana's JSON model, schemaVersion 39). */
export interface DashboardJson {
  uid?: unknown;
  title?: unknown;
  schemaVersion?: unknown;
  panels?: unknown;
  templating?: { list?: unknown };
  [key: string]: unknown;
}

export interface SqlTarget {
  refId: string;
  rawSql: string;
  format: 'table' | 'time_series';
}

export interface TemplateVariable {
  name: string;
  type: string;
  query?: string;
  multi?: boolean;
  includeAll?: boolean;
}

export interface LoadedDashboard {
  file: string;
  json: DashboardJson;
}

export async function loadDashboards(): Promise<LoadedDashboard[]> {
  const files = (await readdir(DASHBOARD_DIR)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(files.map(async (file) => ({ file, json: JSON.parse(await readFile(join(DASHBOARD_DIR, file), 'utf8')) as DashboardJson })));
}

/** Panels, including those nested in collapsed rows. */
export function panelsOf(d: DashboardJson): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const p of list as Array<Record<string, unknown>>) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(d.panels);
  return out;
}

export function variablesOf(d: DashboardJson): TemplateVariable[] {
  return (Array.isArray(d.templating?.list) ? d.templating.list : []) as TemplateVariable[];
}

/** A variable's value as a test picks it: every option (All) for multi-value variables, one for the others. */
export interface VariableValue {
  values: string[];
  /** Multi-value or include-All variables are formatted as a quoted list, others raw (Grafana's SQL data sources). */
  multi: boolean;
}

export interface MacroContext {
  fromMs: number;
  toMs: number;
  intervalMs: number;
  /** The data source's "TimescaleDB" switch: $__timeGroup becomes time_bucket(). */
  timescaledb: boolean;
  vars: Record<string, VariableValue>;
}

const quoteLiteral = (v: string): string => `'${v.replaceAll("'", "''")}'`;

/** Grafana's interval text for a number of milliseconds (what $__interval becomes). */
export function intervalText(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function parseInterval(text: string): number {
  const m = /^'?(\d+)(ms|s|m|h|d|w)'?$/.exec(text.trim());
  if (!m?.[1] || !m[2]) throw new Error(`not an interval: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'ms'];
  return Number(m[1]) * unit;
}

/** Arguments of a macro call starting at `open` (the index of its `(`), split on top-level commas. */
function macroArgs(sql: string, open: number): { args: string[]; end: number } {
  let depth = 0;
  let current = '';
  const args: string[] = [];
  for (let i = open; i < sql.length; i++) {
    const c = sql[i];
    if (c === '(') {
      depth++;
      if (depth === 1) continue;
    } else if (c === ')') {
      depth--;
      if (depth === 0) {
        if (current.trim() !== '' || args.length > 0) args.push(current.trim());
        return { args, end: i + 1 };
      }
    } else if (c === ',' && depth === 1) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  throw new Error(`unbalanced macro call at ${open}`);
}

/**
 * What Grafana sends to PostgreSQL for a panel's SQL: template variables interpolated
 * by the front end (multi-value as a quoted list, single values raw, `$__interval`), then
 * the PostgreSQL data source's macros expanded as its Go macro engine does
 * (pkg/tsdb/grafana-postgresql-datasource/macros.go).
 */
export function expandGrafanaSql(sql: string, ctx: MacroContext): string {
  const from = new Date(ctx.fromMs).toISOString();
  const to = new Date(ctx.toMs).toISOString();
  let out = sql.replace(/\$__interval_ms\b/g, String(ctx.intervalMs)).replace(/\$__interval\b/g, intervalText(ctx.intervalMs));
  out = out.replace(/\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)\]\]|\$(\w+)/g, (whole, a?: string, format?: string, b?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    if (name.startsWith('__')) return whole;
    const v = ctx.vars[name];
    if (!v) throw new Error(`unknown template variable $${name}`);
    if (format === 'raw') return v.values.join(',');
    if (format === 'singlequote' || v.multi) return v.values.map(quoteLiteral).join(',');
    return v.values[0] ?? '';
  });
  const macro = /\$__(\w+)\(/g;
  let result = '';
  let last = 0;
  for (let m = macro.exec(out); m; m = macro.exec(out)) {
    const name = m[1] ?? '';
    const { args, end } = macroArgs(out, m.index + m[0].length - 1);
    result += out.slice(last, m.index);
    const col = args[0] ?? '';
    const group = () => {
      const seconds = parseInterval(args[1] ?? '') / 1000;
      return ctx.timescaledb ? `time_bucket('${seconds}s',${col})` : `floor(extract(epoch from ${col})/${seconds})*${seconds}`;
    };
    switch (name) {
      case 'time':
        result += `${col} AS "time"`;
        break;
      case 'timeEpoch':
        result += `extract(epoch from ${col}) AS "time"`;
        break;
      case 'timeFilter':
        result += `${col} BETWEEN '${from}' AND '${to}'`;
        break;
      case 'timeFrom':
        result += `'${from}'`;
        break;
      case 'timeTo':
        result += `'${to}'`;
        break;
      case 'timeGroup':
        result += group();
        break;
      case 'timeGroupAlias':
        result += `${group()} AS "time"`;
        break;
      case 'unixEpochFilter':
        result += `${col} >= ${Math.floor(ctx.fromMs / 1000)} AND ${col} <= ${Math.floor(ctx.toMs / 1000)}`;
        break;
      case 'unixEpochFrom':
        result += String(Math.floor(ctx.fromMs / 1000));
        break;
      case 'unixEpochTo':
        result += String(Math.floor(ctx.toMs / 1000));
        break;
      default:
        throw new Error(`macro $__${name} is not supported by this test (add it, as Grafana expands it)`);
    }
    last = end;
    macro.lastIndex = end;
  }
  result += out.slice(last);
  if (/\$__\w+/.test(result)) throw new Error(`unexpanded macro left in: ${result}`);
  return result;
}

/** The names of the template variables a piece of SQL refers to. */
export function referencedVariables(sql: string): string[] {
  const names = new Set<string>();
  for (const m of sql.matchAll(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g)) {
    const n = m[1] ?? m[2] ?? m[3] ?? '';
    if (!n.startsWith('__')) names.add(n);
  }
  return [...names];
}
