import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type SiteFile, SiteFileSchema } from '@hazardwatch/contracts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SiteFileError } from './errors.js';

/** The site files shipped in `simulators/sites/`. */
export const BundledSiteSchema = z.enum(['chemical-plant', 'tailings-dam', 'transport']);
export type BundledSite = z.infer<typeof BundledSiteSchema>;

const FILE_OF: Readonly<Record<BundledSite, string>> = {
  'chemical-plant': 'jinyu-chemical.yaml',
  'tailings-dam': 'tengzhou-tailings.yaml',
  transport: 'zaozhuang-transport.yaml',
};

/** Absolute path of a bundled site file (resolved from this module, so it works from src/ and dist/). */
export function bundledSitePath(name: BundledSite): string {
  return fileURLToPath(new URL(`../sites/${FILE_OF[name]}`, import.meta.url));
}

/** Parses the text of a site file (YAML, or JSON when `file` ends in `.json`) and validates it. */
export function parseSiteFile(text: string, file = '(inline)'): SiteFile {
  let raw: unknown;
  try {
    raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new SiteFileError(file, [err instanceof Error ? err.message : String(err)], { cause: err });
  }
  const parsed = SiteFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new SiteFileError(
      file,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  return parsed.data;
}

/** Reads and validates a site file (YAML or JSON). */
export async function readSiteFile(file: string): Promise<SiteFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new SiteFileError(file, [err instanceof Error ? err.message : String(err)], { cause: err });
  }
  return parseSiteFile(text, file);
}

const cache = new Map<BundledSite, SiteFile>();

/** A bundled site, read once and cached; each call returns its own copy. */
export function bundledSite(name: BundledSite): SiteFile {
  let site = cache.get(name);
  if (!site) {
    const file = bundledSitePath(name);
    site = parseSiteFile(readFileSync(file, 'utf8'), file);
    cache.set(name, site);
  }
  return structuredClone(site);
}
