import { defineConfig } from 'vitest/config';

// One run over every workspace and tests/. Workspace packages resolve to their
// TypeScript sources through the `hazardwatch-source` export condition.
export default defineConfig({
  resolve: { conditions: ['hazardwatch-source'] },
  ssr: { resolve: { conditions: ['hazardwatch-source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'services/*/src/**/*.test.ts', 'simulators/src/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'tests/heavy/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
