import { existsSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benchApply, PSQL } from '../../bench/apply';
import { benchBackfill } from '../../bench/backfill';
import { benchCompileCache } from '../../bench/compile-cache';
import { benchFileCost } from '../../bench/file-cost';
import { startLatencyProxy } from '../../bench/lib/latency-proxy';
import { dropDatabase, withClient } from '../../bench/lib/server';
import { benchNoop } from '../../bench/noop';
import { benchOnline, SAFE_LOCK_TIMEOUT_MS } from '../../bench/online';
import { benchOnlineFixes, FIXES_LOCK_TIMEOUT_MS } from '../../bench/online-fixes';
import { benchProgressLines } from '../../bench/progress-lines';
import { benchRace } from '../../bench/race';
import { benchStartup, STEPS } from '../../bench/startup';
import { targets } from '../support/db';

const target = targets[0]!;

describe(`Benchmarks (smoke, ${target.name})`, () => {
  it('apply and no-op: every tool applies all migrations; a second run finds them up to date in six round trips', async () => {
    if (!existsSync(PSQL)) console.log(`[bench smoke] ${PSQL} not found: the psql floor is skipped`);
    const apply = await benchApply({ adminUrl: target.adminUrl, migrations: 20, runs: 1 });
    try {
      expect(apply.migrations).toBe(20);
      expect(apply.samples.schemaguard).toHaveLength(1);
      expect(apply.samples.node_pg_migrate).toHaveLength(1);
      expect(apply.ratio_vs_node_pg_migrate).toBeGreaterThan(0);
      // dbmate, the second peer, applied the same files (the bench checks its tables), unless its binary is missing here.
      if (apply.dbmate_note) console.log(`[bench smoke] ${apply.dbmate_note}`);
      else expect([apply.samples.dbmate.length, apply.paired_ratio_vs_dbmate! > 0]).toEqual([1, true]);
      // The state rows cut the run (the server's clock is this machine's): every part there.
      const phases = apply.schemaguard_phases!;
      expect(phases.to_first_file_ms).toBeGreaterThan(0);
      expect(phases.files_ms).toBeGreaterThan(0);
      expect(phases.after_last_file_ms).toBeGreaterThanOrEqual(0);
      if (existsSync(PSQL)) expect(apply.ratio_vs_floor).toBeGreaterThan(0);
      else expect(apply.floor_note).toContain('not found');
      const recorded = await withClient(
        apply.applied.url,
        async (c) => (await c.query('SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).rows[0].n,
      );
      expect(recorded).toBe(20);

      const noop = await benchNoop({ url: apply.applied.url, dir: apply.applied.dir, runs: 1 });
      expect(noop.migrations).toBe(20);
      expect(noop.round_trips).toBe(6);
      expect(noop.connections).toBe(1);
      expect(noop.statements[0]).toContain('pg_try_advisory_lock');
      expect(noop.statements.at(-1)).toContain('pg_advisory_unlock');
      expect(noop.samples.process).toHaveLength(1);

      // The compile-cache pairs on this Node.js (on 20, the launcher's own cache), one pair.
      const cache = await benchCompileCache({ node: process.execPath, url: apply.applied.url, dir: apply.applied.dir, migrations: 20, pairs: 1 });
      expect(cache).toMatchObject({ node: process.version, migrations: 20, pairs: 1 });
      expect([cache.samples.with.length, cache.samples.without.length]).toEqual([1, 1]);
    } finally {
      await dropDatabase(target.adminUrl, apply.applied.name);
      rmSync(apply.applied.dir, { recursive: true, force: true });
    }
  });

  it('online.fixes: migrations/ applies to the drifted database under the application; its online forms fail no statement', async () => {
    const r = await benchOnlineFixes({ adminUrl: target.adminUrl, appointments: 5000, workers: 2, baselineMs: 300 });

    expect(r.appointments).toBe(5000);
    expect(r.lock_timeout_ms).toBe(FIXES_LOCK_TIMEOUT_MS);
    expect(r.online.outcome).toBe('applied');
    expect(r.online.failed_ops).toBe(0);
    expect(r.online.failures).toEqual({});
    expect(r.online.ops).toBeGreaterThan(0);
    expect(r.in_place.outcome).toMatch(/^(applied|failed: )/);
    for (const run of [r.online, r.in_place]) expect(run.max_stall_ms).toBeGreaterThanOrEqual(run.p99_ms);
  });

  it('online: both forms converge on the same schema; the safe forms fail no application operation', async () => {
    const r = await benchOnline({ adminUrl: target.adminUrl, rows: 5000, workers: 2, baselineMs: 300 });

    expect(r.safe.migrations).toBe(5);
    expect(r.naive.migrations).toBe(3);
    expect(r.safe.failed_ops).toBe(0);
    expect(r.safe.failures).toEqual({});
    expect(r.safe.before.ops).toBeGreaterThan(0);
    expect(r.safe.during.ops + r.naive.during.ops).toBeGreaterThan(0);
    expect(r.lock_timeout_ms).toBe(SAFE_LOCK_TIMEOUT_MS);
    for (const run of [r.safe, r.naive]) {
      expect(run.max_stall_ms).toBeGreaterThanOrEqual(run.during.max_ms);
      expect(run.max_gap_ms).toBeGreaterThanOrEqual(0);
    }
  });

  it("backfill: the floor and the backfill fill every row; the writers fail nothing; the result has the ratio and the writers' p99", async () => {
    const r = await benchBackfill({ adminUrl: target.adminUrl, rows: 20_000, writers: 2 });
    expect(r).toMatchObject({ rows: 20_000, writers: 2, failed_writes: 0 });
    expect(r.ratio_vs_floor).toBeGreaterThan(0);
    expect(r.writer_p99_ms).toBeGreaterThan(0);
    expect(r.batches).toBeGreaterThan(0);
    // The server is on this machine: its floor's backend's CPU is read from /proc.
    expect(r.floor_cpu_us_per_row).toBeGreaterThan(0);
  });

  it('race: every runner exits 0, every file runs once, no INVALID index; the result has race.ok and race.wall_ms', async () => {
    const r = await benchRace({ adminUrl: target.adminUrl, runners: 4, files: 6, rows: 2000 });

    expect(r.ok).toBe(4);
    expect(r.exactly_once).toBe(true);
    expect(r.invalid_indexes).toBe(0);
    expect(r.lock_timeout_retries).toBe(0);
    expect(r.wall_ms).toBeGreaterThan(0);
    expect(r.single_ms).toBeGreaterThan(0);
  });
});

describe(`Benchmark: the server's cost per file (smoke, ${target.name})`, () => {
  it('runs every variant of the message on every file: each file commits, with its state row where the variant has one', async () => {
    const r = await benchFileCost(target.adminUrl, 12, 5);
    expect(Object.keys(r.variants)).toEqual(['floor', 'state_row', 'timeouts', 'guard', 'reset']);
    // The guard of each file after the first passes only when the one before committed and set its mark.
    expect(r.recorded).toEqual({ floor: 0, state_row: 12, timeouts: 12, guard: 12, reset: 12 });
    for (const v of Object.values(r.variants)) expect(v.server_cpu_ms).toBeGreaterThanOrEqual(0);
  });

  it("--forms: every other form of the state row commits every file, with its row, and lets the next file's guard pass", async () => {
    const r = await benchFileCost(target.adminUrl, 12, 5, undefined, 'forms');
    expect(Object.keys(r.variants)).toEqual(['sent', 'plain_row', 'merged_reset']);
    expect(r.recorded).toEqual({ sent: 12, plain_row: 12, merged_reset: 12 });
  });
});

describe(`Benchmark latency proxy (smoke, ${target.name})`, () => {
  it('--latency-ms: every tool applies through the proxy, and each answer comes at least two delays after its question', async () => {
    const proxy = await startLatencyProxy(target.adminUrl, 5);
    try {
      const rtt = await withClient(proxy.url(target.adminUrl), async (c) => {
        const t = performance.now();
        await c.query('SELECT 1');
        return performance.now() - t;
      });
      expect(rtt).toBeGreaterThanOrEqual(10);
      const apply = await benchApply({ adminUrl: target.adminUrl, migrations: 5, runs: 1, via: proxy.url });
      try {
        expect(
          await withClient(apply.applied.url, async (c) => (await c.query('SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).rows[0].n),
        ).toBe(5);
        expect(apply.samples.node_pg_migrate).toHaveLength(1);
      } finally {
        await dropDatabase(target.adminUrl, apply.applied.name);
        rmSync(apply.applied.dir, { recursive: true, force: true });
      }
    } finally {
      await proxy.close();
    }
  }, 120_000);
});

describe(`Benchmark: the start-up traced step by step (smoke, ${target.name})`, () => {
  it('cuts the way to the first file into steps that add up to it; a no-op makes one connection', async () => {
    const r = await benchStartup({ adminUrl: target.adminUrl, migrations: 20, runs: 1 });
    const s = r.samples[0]!;
    for (const step of STEPS) expect(s[step], step).toBeGreaterThanOrEqual(0);
    expect(STEPS.reduce((sum, step) => sum + s[step], 0)).toBeCloseTo(s.to_first_file_ms, 0);
    // The runner lock's connection, then the applying one (a fresh database: the state table is made on it).
    expect(s.connections).toBe(2);
    expect(s.cpu.to_first_file_message_ms).toBeGreaterThan(0);
    // The floor applied its first file too (its state row is what ends it), its steps adding up.
    const f = r.floor_samples[0]!;
    expect(f.load_ms + f.connect_read_ms + f.state_table_ms + f.first_file_ms).toBeCloseTo(f.to_first_file_ms, 0);
    expect([f.load_ms > 0, f.connect_read_ms > 0, f.state_table_ms > 0, r.ratio_vs_floor > 0]).toEqual([true, true, true, true]);
    // Nothing to apply: the runner lock's connection alone; the lease-table check rides with the lock's try.
    expect(r.noop.connections).toBe(1);
    expect(r.noop.statements[0]).toContain('pg_backend_pid()');
    expect(r.noop.statements[1]).toMatch(/pg_try_advisory_lock.* \+ SELECT to_regclass\(\$1\)/);
    expect(r.noop.statements.at(-1)).toContain('pg_advisory_unlock');
    expect(r.noop.round_trips).toBe(r.noop.statements.length);
  }, 120_000);
});

describe(`Benchmark: progress lines (smoke, ${target.name})`, () => {
  it('runs migrate quiet and with its lines, counts the writes to stderr: fewer than the lines', async () => {
    const r = await benchProgressLines({ adminUrl: target.adminUrl, migrations: 30, runs: 1 });

    expect(r).toMatchObject({ migrations: 30, runs: 1 });
    expect([r.samples.quiet.length, r.samples.progress.length, r.samples.stderr_write.length]).toEqual([1, 1, 1]);
    expect(r.stderr_writes).toBeGreaterThan(0);
    expect(r.stderr_writes).toBeLessThan(32);
  }, 120_000);
});
