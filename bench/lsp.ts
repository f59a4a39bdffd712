/**
 * The language server's change-to-diagnostics latency: `schemaguard lsp
 * --stdio` run as an editor runs it (test/support/lsp-client.ts: the
 * executable, a real LSP client over stdio), a schema change of 100 and one
 * of 1,000 lines open after an applied migration (git's `--since HEAD`: its
 * tables exist, so the rules for existing tables fire), then the worst case,
 * 1,000 lines where nearly every statement is reported; one keystroke at a
 * time in a comment: the time from sending the change to the diagnostics of
 * that version. No database: a keystroke reads none. Goal: within 100 ms
 * for the 1,000-line file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLsp } from '../test/support/lsp-client';
import { median, percentile, round } from './lib/stats';

export interface LspBenchOptions {
  /** Measured changes per file, after the warm-up ones. */
  changes: number;
  /** Unmeasured changes first. @default 5 */
  warmUp?: number;
  /** The files' lines. @default { small: 100, large: 1000 } */
  lines?: { small: number; large: number };
  onProgress?: (line: string) => void;
}

export interface LspLatency {
  lines: number;
  diagnostics: number;
  changes: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  /** The server process's CPU time (user + system, /proc) over the measured changes, per change: its own work, whatever else the machine runs. */
  cpu_ms_per_change: number | null;
}

/** The 1,000-line schema change's latency at the top (what the goal is read from); the 100-line one's under `small`, the worst case's under `worst`. */
export type LspBenchResult = LspLatency & { small: LspLatency; worst: LspLatency };

const APPLIED = 'CREATE TABLE leads (id bigint PRIMARY KEY, name text, score int);\nCREATE TABLE purchases (id bigint PRIMARY KEY, lead_id bigint);\n';

/**
 * A migration of `lines` lines as a schema change is written: steps of ten
 * lines, each a new table with its foreign key and index, and a column on
 * an existing table; every fifth step also indexes that column without
 * CONCURRENTLY (index-not-concurrent: a finding per fifth step).
 */
export function schemaMigration(lines: number): string {
  return stepsOf(lines, (k) => [
    `-- step ${k}: the orders of region ${k}`,
    `CREATE TABLE orders_${k} (`,
    '  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,',
    '  lead_id bigint NOT NULL REFERENCES leads (id),',
    '  total numeric(12,2) NOT NULL DEFAULT 0,',
    '  created_at timestamptz NOT NULL DEFAULT now()',
    ');',
    `CREATE INDEX orders_${k}_lead ON orders_${k} (lead_id);`,
    `ALTER TABLE leads ADD COLUMN region_${k} text;`,
    k % 5 === 4 ? `CREATE INDEX leads_region_${k} ON leads (region_${k});` : `COMMENT ON COLUMN leads.region_${k} IS 'region ${k}';`,
  ]);
}

/** The worst case: steps of four lines, three of them reported (a new column, then its index and a CHECK on existing tables), up to lint's 100 findings per rule. */
export function riskyMigration(lines: number): string {
  return stepsOf(lines, (k) => [
    `-- step ${k}`,
    `ALTER TABLE leads ADD COLUMN c${k} text;`,
    `CREATE INDEX leads_c${k} ON leads (c${k});`,
    `ALTER TABLE purchases ADD CONSTRAINT purchases_check_${k} CHECK (lead_id > ${k});`,
  ]);
}

function stepsOf(lines: number, step: (k: number) => string[]): string {
  const out: string[] = [];
  for (let k = 0; out.length < lines; k++) out.push(...step(k));
  return `${out.slice(0, lines).join('\n')}\n`;
}

export async function benchLsp(options: LspBenchOptions): Promise<LspBenchResult> {
  const root = mkdtempSync(join(tmpdir(), 'schemaguard-bench-lsp-'));
  try {
    mkdirSync(join(root, 'migrations'));
    writeFileSync(join(root, 'migrations', '0001_tables.sql'), APPLIED);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=bench@example.com', '-c', 'user.name=bench', ...args], { cwd: root, stdio: 'ignore' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'applied');
    const lines = options.lines ?? { small: 100, large: 1000 };
    const small = await latency(root, schemaMigration(lines.small), 'schema change', options);
    const large = await latency(root, schemaMigration(lines.large), 'schema change', options);
    const worst = await latency(root, riskyMigration(lines.large), 'worst case, every statement but the comments reported', options);
    return { ...large, small, worst };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** One server, one file of `lines` lines open, `changes` keystrokes measured (a character typed into a comment in the middle, then removed). */
async function latency(root: string, text: string, what: string, options: LspBenchOptions): Promise<LspLatency> {
  const file = join(root, 'migrations', '0002_steps.sql');
  const lines = text.split('\n').length - 1;
  writeFileSync(file, text);
  const lsp = await startLsp({ cwd: root, env: { DATABASE_URL: undefined }, args: ['--since', 'HEAD', '--quiet'] });
  try {
    const first = await lsp.open(file);
    const middle = text.indexOf(`-- step ${Math.floor(lines / 20)}`);
    const samples: number[] = [];
    let cpuStart: number | null = null;
    const warmUp = options.warmUp ?? 5;
    for (let k = 0; k < warmUp + options.changes; k++) {
      if (k === warmUp) cpuStart = cpuMs(lsp.child.pid);
      const edited = k % 2 === 0 ? `${text.slice(0, middle)}-- x${text.slice(middle + 2)}` : text;
      const started = performance.now();
      const diagnostics = await lsp.change(file, edited);
      const took = performance.now() - started;
      if (diagnostics.length !== first.length) throw new Error(`a keystroke in a comment changed the diagnostics: ${first.length} → ${diagnostics.length}`);
      if (k >= warmUp) samples.push(took);
    }
    const cpuEnd = cpuMs(lsp.child.pid);
    const result = {
      lines,
      diagnostics: first.length,
      changes: samples.length,
      p50_ms: round(median(samples)),
      p95_ms: round(percentile(samples, 95)),
      max_ms: round(Math.max(...samples)),
      cpu_ms_per_change: cpuStart === null || cpuEnd === null ? null : round((cpuEnd - cpuStart) / samples.length),
    };
    options.onProgress?.(
      `lsp: ${lines} lines (${what}), ${first.length} diagnostics: change to diagnostics p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms, server CPU ${result.cpu_ms_per_change} ms a change (${samples.length} changes)`,
    );
    return result;
  } finally {
    await lsp.close();
    rmSync(file);
  }
}

/** A process's CPU time so far (user + system), from /proc; null where there is none. */
function cpuMs(pid: number | undefined): number | null {
  try {
    // The fields after the command's name (which may hold spaces): utime and stime are the 12th and 13th, in clock ticks (100 a second on Linux).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}
