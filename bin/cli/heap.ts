/**
 * V8 settings for the commands that parse a whole directory of SQL (`lint`,
 * `plan`). They parse every statement with PostgreSQL's parser and drop each
 * tree once its statement is looked at; V8's allocation-site pretenuring can
 * decide, from a few survivals sampled when the machine is busy, to allocate
 * those trees straight in the old generation, where they stay until the next
 * full collection. `plan --offline` on a 16 MiB file then peaked at 466–483 MB
 * in 2 runs of 12 beside a busy CPU, against 241–284 MB otherwise; with
 * pretenuring off, 241–272 MB in all 12 (BENCHMARKS.md). Set in the CLI
 * process only: the engine as a library leaves its host's V8 alone.
 */
export async function keepParseTreesYoung(): Promise<void> {
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--no-allocation-site-pretenuring');
}
