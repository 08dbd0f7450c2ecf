import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The deploy-path test needs the Postgres server as a superuser: npm run test:deploy.
    exclude: ['test/deploy/**', 'node_modules/**'],
    // Database tests start PGlite or create a database on the server per file.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Starts moto_server for the AWS tests when it is installed and MOTO_ENDPOINT is not already set.
    globalSetup: ['test/support/moto-global-setup.ts'],
  },
});
