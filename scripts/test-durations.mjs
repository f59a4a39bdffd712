/**
 * Writes test/support/file-durations.json: each test file's time in seconds
 * from a run's log (`npm test > run.log`, or .ci/run's), for the order
 * vitest.config.ts starts the files in (longest first). Run it after a full
 * run when files were added or changed much:
 *   node scripts/test-durations.mjs run.log
 */
import { readFileSync, writeFileSync } from 'node:fs';

const log = readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const durations = {};
for (const m of log.matchAll(/^ [✓×❯] +(?:unit|integration) +(test\/\S+\.test\.ts) \(\d+ tests?[^)]*\) (\d+(?:\.\d+)?)(ms|s)$/gm)) {
  durations[m[1]] = Math.round((m[3] === 'ms' ? Number(m[2]) / 1000 : Number(m[2])) * 10) / 10;
}
if (Object.keys(durations).length === 0) throw new Error('no per-file lines ("✓ integration test/… (N tests) 123ms") in that log');
const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync('test/support/file-durations.json', `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`test/support/file-durations.json: ${Object.keys(sorted).length} files`);
