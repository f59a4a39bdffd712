/**
 * `status` and `plan` are safe to run while a migration runs: looped from
 * other processes during a long CREATE INDEX CONCURRENTLY, they do not delay
 * it. The index build waits for every transaction whose snapshot is older
 * than its own, so a read that held one — or sat in a lock wait — would show
 * as the build waiting on a lock.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type ActivitySample, sampleActivity } from '../../support/activity';
import { runCli } from '../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

/** A test-suite-sized big table: 200,000 rows; hashing a long expression makes the build take seconds. */
const TABLE = `CREATE TABLE big (id bigint PRIMARY KEY, v int NOT NULL, note text NOT NULL);
INSERT INTO big SELECT g, g % 1000, md5(g::text) FROM generate_series(1, 200000) g;
ANALYZE big;`;
const FILES = {
  '1_index.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY big_key ON big (md5(repeat(note, 200)), v);\n',
};

interface Migrated {
  indexMs: number;
  retries: number;
  lockWaitMs: number;
  samples: number;
}

const SAMPLE_MS = 10;

/** Migrate the index file and watch its backend: how long the build took and how long it sat in lock waits. */
async function migrateWatched(url: string, dir: string): Promise<Migrated> {
  let stop = false;
  const watched: ActivitySample[] = [];
  const watching = (async () => {
    // The session applying a no-transaction file is named for it while it runs.
    while (!stop) watched.push(...(await sampleActivity(url, 'schemaguard: applying 1_index.sql', 100, SAMPLE_MS)));
  })();
  const r = await runCli(['migrate', '--dir', dir, '--database-url', url, '--json'], { timeoutMs: 120_000 });
  stop = true;
  await watching;
  expect(r.code).toBe(0);
  const result = JSON.parse(r.stdout) as { applied: { executionMs: number }[] };
  const build = watched.filter((s) => s.query.startsWith('CREATE INDEX CONCURRENTLY') && s.state === 'active');
  return {
    indexMs: result.applied[0]!.executionMs,
    retries: (r.stderr.match(/lock timeout, retry/g) ?? []).length,
    lockWaitMs: build.filter((s) => s.wait_event_type === 'Lock').length * SAMPLE_MS,
    samples: build.length,
  };
}

async function prepared(target: (typeof targets)[number], label: string): Promise<string> {
  const url = await freshDatabase(target, label);
  await withClient(url, (c) => c.query(TABLE));
  return url;
}

describe.each(targets)('CLI: status and plan during a long CREATE INDEX CONCURRENTLY on $name', (target) => {
  it('looped from other processes, they do not delay the index build', async () => {
    const dir = tempDir(FILES);
    const quiet = await migrateWatched(await prepared(target, 'cic_quiet'), dir);

    const url = await prepared(target, 'cic_busy');
    let looping = true;
    // Each run's start and end.
    const reads: { command: string; from: number; to: number }[] = [];
    const loop = (command: string) =>
      (async () => {
        while (looping) {
          const from = Date.now();
          const r = await runCli([command, '--dir', dir, '--database-url', url]);
          expect(r.code).toBe(0);
          reads.push({ command, from, to: Date.now() });
        }
      })();
    const loops = [loop('status'), loop('plan')];
    const started = Date.now();
    const busy = await migrateWatched(url, dir);
    const ended = Date.now();
    looping = false;
    await Promise.all(loops);

    // The runs in flight during the later half of the migration, when the index is being built (the build takes most of it).
    const middle = started + (ended - started) / 2;
    const overlapping = reads.filter((r) => r.from < ended && r.to > middle);
    console.log(
      `[read-during-migrate] ${target.name}: index build ${quiet.indexMs} ms alone, ${busy.indexMs} ms with ${overlapping.length} status/plan runs in its later half; in lock waits ${busy.lockWaitMs} ms`,
    );
    // The reads really overlapped the build: status and plan each ran during it (on a loaded machine one CLI
    // process can take as long as the build, so a run counts when it overlaps, not only when it ends inside).
    expect(new Set(overlapping.map((r) => r.command))).toEqual(new Set(['status', 'plan']));
    expect(busy.samples).toBeGreaterThan(0);
    expect(busy.retries).toBe(0);
    // Waiting for a read's snapshot shows as lock waits of the build: a few ms at most, never a stall.
    expect(busy.lockWaitMs).toBeLessThan(300);
    // CPU shared with the looping processes may slow it; a wait on them would cost far more.
    expect(busy.indexMs).toBeLessThan(3 * quiet.indexMs + 3000);
  });
});
