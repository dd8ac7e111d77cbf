// `npm run build`: keep every workspace's project references in line with its
// @hazardwatch/* dependencies, compile all workspaces with `tsc -b`, and copy
// the files tsc does not emit (SQL migrations) next to the compiled code.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = ['packages', 'services'].flatMap((d) => readdirSync(join(root, d)).map((n) => join(d, n))).concat(['simulators']);
const byName = new Map();
for (const d of dirs) {
  const pkg = join(root, d, 'package.json');
  if (existsSync(pkg)) byName.set(JSON.parse(readFileSync(pkg, 'utf8')).name, d);
}
for (const [, d] of byName) {
  const pkg = JSON.parse(readFileSync(join(root, d, 'package.json'), 'utf8'));
  const file = join(root, d, 'tsconfig.build.json');
  if (!existsSync(file)) continue;
  const cfg = JSON.parse(readFileSync(file, 'utf8'));
  cfg.references = Object.keys(pkg.dependencies ?? {})
    .filter((n) => byName.has(n))
    .sort()
    .map((n) => ({ path: `${relative(join(root, d), join(root, byName.get(n)))}/tsconfig.build.json` }));
  writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`);
}
const top = {
  files: [],
  references: [...byName.values()]
    .filter((d) => existsSync(join(root, d, 'tsconfig.build.json')))
    .sort()
    .map((d) => ({ path: `./${d}/tsconfig.build.json` })),
};
writeFileSync(join(root, 'tsconfig.build.json'), `${JSON.stringify(top, null, 2)}\n`);

execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
cpSync(join(root, 'packages/db/src/migrations'), join(root, 'packages/db/dist/migrations'), { recursive: true });
console.log('built', byName.size, 'workspaces');
