/**
 * `npm run bench -- <suite> [options]`. Each suite is one entry of SUITES: it
 * loads its module only when chosen (a suite's imports never affect another's
 * run) and resolves with the exit code. Suites named in the issues but not
 * written yet are not listed.
 */
type Suite = (argv: string[]) => Promise<number>;

const SUITES: Record<string, Suite> = {
  ingest: async (argv) => (await import('./ingest/suite.js')).runIngestSuite(argv),
  'ingest-commit': async (argv) => (await import('./ingest/commit-paths.js')).runIngestCommitSuite(argv),
  rules: async (argv) => (await import('./rules.js')).rulesSuiteMain(argv),
  api: async (argv) => (await import('./api.js')).apiSuiteMain(argv),
  dispatch: async (argv) => (await import('./dispatch.js')).dispatchSuiteMain(argv),
  'latest-write': async (argv) => (await import('./latest-values-write.js')).latestWriteSuiteMain(argv),
};

function usage(): string {
  return `usage: npm run bench -- <suite> [options]   (npm run bench -- <suite> --help for a suite's options)

suites: ${Object.keys(SUITES).join(', ')}
`;
}

const [name, ...rest] = process.argv.slice(2);
const suite = name ? SUITES[name] : undefined;
if (!name || name === '--help' || name === '-h') {
  process.stdout.write(usage());
  process.exitCode = name ? 0 : 2;
} else if (!suite) {
  process.stderr.write(`unknown bench suite '${name}'\n\n${usage()}`);
  process.exitCode = 2;
} else {
  process.exitCode = await suite(rest).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  });
}
