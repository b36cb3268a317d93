import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The CLI the tests spawn runs dist/: built from the current sources before any test.
    // And finds (or starts) a PostgreSQL server with a fresh database for this run.
    globalSetup: ['tests/helpers/build-dist.ts', 'tests/helpers/postgres-server.ts'],
    // Many tests spawn the CLI (a start-up of ~0.2 s idle, a few seconds on a loaded 2-core
    // machine): the limits hold at 4x load, and only a hung test ever reaches them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn the CLI and run HTTP servers; two cores are all CI has.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
  },
});
