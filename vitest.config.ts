import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // The runner's own counts, for .ci/run's closing line.
    reporters: ['default', ['json', { outputFile: '.vitest/report.json' }]],
  },
});
