import { defineConfig } from 'vitest/config';

/** The deploy-path test (test/deploy): on the Postgres server only, run by `npm run test:deploy` in .ci/run. */
export default defineConfig({
  test: {
    include: ['test/deploy/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
