/**
 * What `migrate`'s progress lines cost. `npm run bench` runs `migrate
 * --quiet` (psql, its floor, prints nothing either); a person runs it with a
 * line per migration on stderr, to a terminal or a CI log's pipe. Each run
 * applies the same small files to two fresh databases, once quiet and once
 * with its progress lines read through a pipe by this process (the order
 * turns from run to run), and counts the process's writes to stderr (a
 * preload that wraps `process.stderr.write`, so the executable runs as
 * shipped) and the time spent inside them.
 *
 *   npx tsx bench/progress-lines.ts [--migrations 300] [--runs 7] [--cli PATH]
 *
 * `--cli` measures another build of the executable (e.g. a worktree of an
 * older commit). The last line is one JSON object: medians of each form,
 * `cost_ms` (the median of each run's difference: on a busy machine within
 * the noise), `stderr_writes` and `stderr_write_ms` (the time inside them).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI } from './apply';
import { generateMigrations } from './lib/generate';
import { measuredEnv, mustSucceed, NODE, timeProcess } from './lib/proc';
import { createDatabase, dropDatabase, startBenchServer } from './lib/server';
import { median, round } from './lib/stats';

export interface ProgressLinesResult {
  cli: string;
  migrations: number;
  runs: number;
  quiet_ms: number;
  progress_ms: number;
  /** Median over the runs of (with progress lines − quiet). */
  cost_ms: number;
  /** Writes to stderr of one run with progress lines (the last). */
  stderr_writes: number;
  /** Median time spent inside those writes (the process waits on each: stderr is synchronous for pipes and terminals). */
  stderr_write_ms: number;
  samples: { quiet: number[]; progress: number[]; stderr_write: number[] };
}

const COUNTER = `const write = process.stderr.write.bind(process.stderr); let n = 0; let ns = 0n;
process.stderr.write = (...a) => { n++; const t = process.hrtime.bigint(); try { return write(...a); } finally { ns += process.hrtime.bigint() - t; } };
process.on('exit', () => require('node:fs').writeFileSync(process.env.BENCH_WRITES_FILE, JSON.stringify({ n, ms: Number(ns) / 1e6 })));
`;

export async function benchProgressLines(o: {
  adminUrl: string;
  migrations: number;
  runs: number;
  cli?: string;
  onRun?: (line: string) => void;
}): Promise<ProgressLinesResult> {
  const cli = o.cli ?? CLI;
  const { dir } = generateMigrations(o.migrations);
  const scratch = mkdtempSync(join(tmpdir(), 'schemaguard-bench-progress-'));
  const counter = join(scratch, 'count.cjs');
  const writesFile = join(scratch, 'writes');
  writeFileSync(counter, COUNTER);
  const env = { ...measuredEnv(), BENCH_WRITES_FILE: writesFile };
  const samples = { quiet: [] as number[], progress: [] as number[], stderr_write: [] as number[] };
  let writes = 0;
  const once = async (quiet: boolean): Promise<number> => {
    const db = await createDatabase(o.adminUrl, quiet ? 'quiet' : 'progress');
    try {
      const args = ['--require', counter, cli, 'migrate', '--database-url', db.url, '--dir', dir, ...(quiet ? ['--quiet'] : [])];
      const r = mustSucceed('schemaguard migrate', await timeProcess(NODE, args, { env }));
      if (!quiet) {
        const lines = r.stderr.split('\n').filter((l) => l.startsWith('  applied ')).length;
        if (lines !== o.migrations) throw new Error(`migrate printed ${lines} "applied" lines for ${o.migrations} files`);
        const counted = JSON.parse(readFileSync(writesFile, 'utf8')) as { n: number; ms: number };
        writes = counted.n;
        samples.stderr_write.push(round(counted.ms));
      }
      return r.ms;
    } finally {
      await dropDatabase(o.adminUrl, db.name);
    }
  };
  try {
    for (let k = 0; k < o.runs; k++) {
      const order = k % 2 === 0 ? [true, false] : [false, true];
      const ms: Record<string, number> = {};
      for (const quiet of order) ms[String(quiet)] = await once(quiet);
      samples.quiet.push(round(ms.true!));
      samples.progress.push(round(ms.false!));
      o.onRun?.(`[bench] progress lines run ${k + 1}/${o.runs}: quiet ${Math.round(ms.true!)} ms, with lines ${Math.round(ms.false!)} ms`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
  return {
    cli,
    migrations: o.migrations,
    runs: o.runs,
    quiet_ms: round(median(samples.quiet)),
    progress_ms: round(median(samples.progress)),
    cost_ms: round(median(samples.progress.map((p, k) => p - samples.quiet[k]!))),
    stderr_writes: writes,
    stderr_write_ms: round(median(samples.stderr_write)),
    samples,
  };
}

function option(argv: string[], name: string): string | undefined {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const server = await startBenchServer();
  try {
    const r = await benchProgressLines({
      adminUrl: server.adminUrl,
      migrations: Number(option(argv, '--migrations') ?? 300),
      runs: Number(option(argv, '--runs') ?? 7),
      cli: option(argv, '--cli'),
      onRun: (l) => process.stderr.write(`${l}\n`),
    });
    process.stdout.write(`${JSON.stringify(r)}\n`);
  } finally {
    await server.stop();
  }
}
