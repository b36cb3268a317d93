import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests spawn the CLI and run HTTP servers; two cores are all CI has.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
  },
});
