/**
 * Writes test/support/file-durations.json: each test file's time in seconds
 * from a run's log (`npm test > run.log`, or .ci/run's), for the order
 * vitest.config.ts starts the files in (longest first). Run it after a full
 * run when files were added or changed much:
 *   node scripts/test-durations.mjs run.log
 * A log of part of the suite (`npx vitest run test/<folder> > part.log`)
 * updates the files it ran and keeps the others' times; a file no longer in
 * test/ is dropped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const FILE = 'test/support/file-durations.json';
const log = readFileSync(process.argv[2] ?? '/dev/stdin', 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
const measured = {};
for (const m of log.matchAll(/^ [✓×❯] +(?:unit|integration(?:-isolated)?) +(test\/\S+\.test\.ts) \(\d+ tests?[^)]*\) (\d+(?:\.\d+)?)(ms|s)$/gm)) {
  measured[m[1]] = Math.round((m[3] === 'ms' ? Number(m[2]) / 1000 : Number(m[2])) * 10) / 10;
}
if (Object.keys(measured).length === 0) throw new Error('no per-file lines ("✓ integration test/… (N tests) 123ms") in that log');
const earlier = existsSync(FILE) ? JSON.parse(readFileSync(FILE, 'utf8')) : {};
const durations = Object.fromEntries(Object.entries({ ...earlier, ...measured }).filter(([file]) => existsSync(file)));
const sorted = Object.fromEntries(Object.entries(durations).sort(([a], [b]) => a.localeCompare(b)));
writeFileSync(FILE, `${JSON.stringify(sorted, null, 1)}\n`);
console.log(`${FILE}: ${Object.keys(sorted).length} files, ${Object.keys(measured).length} of them from this log`);
