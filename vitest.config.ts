import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Real clusters: each file runs in its own process so a crash cannot leak a server into another file.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    globalSetup: ['packages/lab/test/global-setup.ts'],
    reporters: ['default', './packages/lab/test/failure-digest.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    teardownTimeout: 60_000,
    // expect.poll's 1 s is too short for a page in Chromium beside another file's clusters on 2 cores.
    expect: { poll: { timeout: 15_000 } },
  },
});
