import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Many tests spawn the CLI (a tsx start-up of ~0.5 s idle, several seconds on a loaded
    // 2-core machine): the limits hold at 4x load, and only a hung test ever reaches them.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Tests spawn the CLI and run HTTP servers; two cores are all CI has.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
  },
});
