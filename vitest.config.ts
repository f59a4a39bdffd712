import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Each test file's temporary directories are removed after its last test.
    setupFiles: ['test/support/temp-cleanup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two files at a time even on 2 cores (vitest's default there is one):
    // most integration tests wait on PostgreSQL, so the suite runs in about
    // 11 minutes instead of 20. Every file works in databases of its own.
    maxWorkers: 2,
    // The runner's own counts, for .ci/run's closing line.
    reporters: ['default', ['json', { outputFile: '.vitest/report.json' }]],
  },
});
