/**
 * The benchmarks that need no database of the run (bench.smoke.int.test.ts has
 * those), in a small form: correctness only, never timing. The handler's
 * bundle, the language server, cdk synth, the benchmark's own server and the
 * start-up's parts.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchLambda } from '../../bench/lambda';
import { benchLsp } from '../../bench/lsp';
import { startBenchServer, TMPFS_DIR, withClient } from '../../bench/lib/server';
import { benchStartupParts } from '../../bench/startup-parts';
import { benchSynth } from '../../bench/synth';
import { ROOT } from '../support/cli';
import { embeddedBinDir, startServer } from '../support/system-postgres';

describe('Benchmarks (smoke)', () => {
  it('lambda: bundles the handler (or says it stands in for it) and imports it in a fresh process', async () => {
    const r = await benchLambda({ runs: 1 });

    expect(r.bundle_bytes).toBeGreaterThan(10_000);
    expect(r.bundle_with_sdk_bytes).toBeGreaterThan(r.bundle_bytes);
    expect(r.entry).toBe(r.stand_in ? expect.stringContaining('stand-in') : 'lambda/handler/index.ts');
    expect(r.shares.map((s) => s.package)).toEqual(expect.arrayContaining(['schemaguard', 'pg']));
    expect(r.shares.reduce((a, s) => a + s.bytes, 0)).toBeLessThanOrEqual(r.bundle_bytes);
    expect(r.samples.import).toHaveLength(1);
  });

  it("lsp: each file's diagnostics come back after every change, the same as when it opened; the result has lsp.p50_ms and lsp.p95_ms", async () => {
    const r = await benchLsp({ changes: 1, warmUp: 0, lines: { small: 20, large: 50 } });

    expect(r).toMatchObject({ lines: 50, diagnostics: 1, changes: 1, small: { lines: 20, diagnostics: 0 }, worst: { lines: 50, diagnostics: 24 } });
    expect(r.p50_ms).toBeGreaterThan(0);
    expect(r.p95_ms).toBeGreaterThanOrEqual(r.p50_ms);
  }, 120_000);

  it('synth: measures cdk synth when the CDK app is present, and says so when it is not', async () => {
    const r = await benchSynth({ runs: 1 });

    if (!r.measured) {
      console.log(`[bench smoke] synth ${r.note}`);
      expect(r.note).toContain('bin/app.ts');
      expect(r.synth_ms).toBeNull();
    } else {
      expect(r.samples).toHaveLength(1);
      expect(r.synth_ms).toBeGreaterThan(0);
    }
  }, 600_000);
});

describe('Benchmark server placement (smoke)', () => {
  it('--tmpfs starts the server with its data directory in /dev/shm, and removes it when stopped', async () => {
    const server = await startBenchServer(undefined, { tmpfs: true });
    let dataDir = '';
    try {
      dataDir = await withClient(server.adminUrl, async (c) => (await c.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]!.d);
      expect(dataDir.startsWith(`${TMPFS_DIR}/schemaguard-bench-`)).toBe(true);
    } finally {
      await server.stop();
    }
    expect(existsSync(dataDir)).toBe(false);
  }, 120_000);

  it('a server that cannot start leaves nothing in the directory it was to use', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'schemaguard-placement-'));
    chmodSync(parent, 0o755); // the server's own user reaches its directory inside
    try {
      await expect(startServer(embeddedBinDir(), { shared_buffers: 'plenty' }, 'bad', parent)).rejects.toThrow(/postgres exited/);
      expect(readdirSync(parent)).toEqual([]);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  }, 120_000);

  it('refuses --tmpfs with --database-url (exit 2, naming both)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'run.ts'), '--tmpfs', '--database-url', 'postgres://localhost/x'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--tmpfs places the server this run starts; it cannot move the one of --database-url');
  }, 60_000);
});

describe('Benchmark: start-up parts (smoke)', () => {
  it("times Node.js, loading migrate's code, and reading and parsing the files, each part positive", async () => {
    const r = await benchStartupParts({ migrations: 20, runs: 1 });
    expect(r).toMatchObject({ migrations: 20, runs: 1, node: process.version });
    for (const k of ['node_ms', 'read_ms', 'parse_ms', 'warm_read_ms', 'warm_parse_ms'] as const) expect(r[k], k).toBeGreaterThan(0);
    expect(Number.isFinite(r.load_ms)).toBe(true);
    expect(Number.isFinite(r.core_load_ms)).toBe(true);
  }, 120_000);
});
