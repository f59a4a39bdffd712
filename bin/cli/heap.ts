import { importModule } from '../../lambda/engine/runtime/import-module';

/**
 * V8 settings for the commands that parse a whole directory of SQL (`lint`,
 * `plan`). They parse every statement with PostgreSQL's parser and drop each
 * tree once its statement is looked at, so most of what they allocate is
 * garbage soon after, and the peak follows how far V8 lets the heap grow
 * before it collects.
 *
 * - Allocation-site pretenuring off: V8 can decide, from a few survivals
 *   sampled when the machine is busy, to allocate those trees straight in the
 *   old generation, where they stay until the next full collection. `plan
 *   --offline` on a 16 MiB file then peaked at 466–483 MB in 2 runs of 12
 *   beside a busy CPU, against 241–284 MB otherwise; with pretenuring off,
 *   241–272 MB in all 12.
 * - The old generation grows by 20% before its next collection instead of
 *   V8's factor for a heap this size (up to 100% on a fast collector): the
 *   same file's `plan --offline` peaked at 258–322 MB without it, 4 of 15
 *   runs over 300 MB, and at 256–277 MB in 9 runs with it, in about the same
 *   time (`npm run bench -- --only memory`, BENCHMARKS.md).
 *
 * Set in the CLI process only: the engine as a library leaves its host's V8 alone.
 */
export async function keepParseTreesYoung(): Promise<void> {
  const v8 = await importModule('node:v8', () => import('node:v8'));
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
  v8.setFlagsFromString('--heap-growing-percent=20');
}
