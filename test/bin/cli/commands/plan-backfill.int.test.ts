/**
 * `schemaguard plan` of backfill files, on real PostgreSQL: the backfill
 * statement shown as batches (its row locks per batch, no earlier lock of
 * the file held through it, no scan and no warning of a whole-table
 * UPDATE), the directives in the table, and a file that waits for a
 * backfill not done refused (exit 2), naming the backfill and its progress.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const target = targets[0]!;

const ORDERS = `CREATE TABLE orders (id bigint PRIMARY KEY, country text NOT NULL);
INSERT INTO orders (id, country) SELECT g, CASE WHEN g % 3 = 0 THEN 'DE' ELSE 'FR' END FROM generate_series(1, 3000) g;
ANALYZE orders;\n`;

const REGION = `ALTER TABLE orders ADD COLUMN region text;

-- schemaguard:backfill
UPDATE orders SET region = lower(country) WHERE region IS NULL;\n`;

const REQUIRED = `-- schemaguard:after-backfill 0002_region.sql
ALTER TABLE orders ADD CONSTRAINT orders_region_required CHECK (region IS NOT NULL) NOT VALID;\n`;

/** A migrations folder with `orders` applied first, and a project file whose batches are 1,000 rows. */
async function project(name: string): Promise<{ url: string; dir: string; args: string[] }> {
  const url = await freshDatabase(target, name);
  const root = tempDir({ 'migrations/0001_orders.sql': ORDERS }, 'plan-backfill');
  writeFileSync(join(root, 'schemaguard.config.json'), JSON.stringify({ backfill: { minRows: 1000, maxRows: 1000 } }));
  const dir = join(root, 'migrations');
  const args = ['--dir', dir, '--config', join(root, 'schemaguard.config.json'), '--database-url', url];
  const first = await runCliInProcess(['migrate', ...args]);
  expect(first.code, first.stderr).toBe(0);
  return { url, dir, args };
}

describe(`CLI: schemaguard plan of a backfill, on ${target.name}`, () => {
  it('shows the backfill statement as batches after the expand: no lock of the file held through it, no scan, no warning', async () => {
    const { dir, args } = await project('plan_backfill_batches');
    addFile(dir, '0002_region.sql', REGION);
    addFile(dir, '0003_region_required.sql', REQUIRED);

    const json = await runCliInProcess(['plan', '--json', '--warn-rows', '10', ...args]);
    const text = await runCliInProcess(['plan', '--warn-rows', '10', ...args]);

    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    // The ALTER and the backfill's UPDATE: two statements, as the statements table lists them.
    expect(report.pending).toMatchObject([
      { file: '0002_region.sql', statements: 2 },
      { file: '0003_region_required.sql', statements: 1 },
    ]);
    const backfill = report.statements.find((s: { file: string; line: number }) => s.file === '0002_region.sql' && s.line === 4);
    expect(backfill).toMatchObject({ lock: 'ROW EXCLUSIVE', rowLocks: true, table: 'public.orders', rows: 3000, scans: false, rewrites: false, batched: true });
    expect(backfill.held).toBeUndefined();
    // No lock warning and no whole-table-update lint of the backfill line: its row locks last one batch.
    expect([...report.warnings, ...report.lint.findings].filter((f: { line: number; file: string }) => f.file === '0002_region.sql' && f.line === 4)).toEqual(
      [],
    );
    expect(report.refusals).toEqual([]);
    expect(report.notes).toContain(
      '0003_region_required.sql waits for the backfill of 0002_region.sql, which this run starts: migrate runs it to the end before that file; migrate --backfill-later and the deploy refuse that file until the backfill is done',
    );
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/0002_region\.sql\s+2\s+backfill \(line 4\)/);
    expect(text.stdout).toMatch(/0003_region_required\.sql\s+1\s+after-backfill 0002_region\.sql/);
    expect(text.stdout).toMatch(
      /0002_region\.sql:4\s+ROW EXCLUSIVE \+ row locks, per batch \(backfill: a key range each, its own transaction\)\s+public\.orders\s+3,000\s+\S+ \S+\s+no\s+no\s+UPDATE orders/,
    );
    expect(text.stdout).not.toContain('under ACCESS EXCLUSIVE from line 1');
  });

  it('refuses, exit 2, a file that waits for a backfill not done, naming it and its progress; once migrate finished it, plans the file', async () => {
    const { url, dir, args } = await project('plan_backfill_refused');
    addFile(dir, '0002_region.sql', REGION);
    addFile(dir, '0003_region_required.sql', REQUIRED);
    const later = await runCliInProcess(['migrate', '--backfill-later', ...args]);
    expect(later.code, later.stderr).toBe(2);

    const json = await runCliInProcess(['plan', '--json', ...args]);
    const text = await runCliInProcess(['plan', ...args]);

    // Refused, exit 2, with or without --exit-code, as migrate --backfill-later and the deploy refuse it.
    expect(json.code, json.stderr).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      command: 'plan',
      message: '0003_region_required.sql waits for the backfill of 0002_region.sql (running, 1,000 rows done): it runs once that backfill is done',
      fix: expect.stringMatching(/^schemaguard migrate finishes the backfill first \(after its last committed batch\), then applies the file; /),
      file: '0003_region_required.sql',
    });
    expect(text.code, text.stderr).toBe(2);
    // The table first (where the file stands), then the refusal.
    expect(text.stdout).toMatch(/0003_region_required\.sql\s+1\s+after-backfill 0002_region\.sql/);
    expect(text.stderr).toContain(
      '0003_region_required.sql waits for the backfill of 0002_region.sql (running, 1,000 rows done): it runs once that backfill is done',
    );
    expect(text.stderr).toContain('fix: schemaguard migrate finishes the backfill first');

    const inline = await runCliInProcess(['migrate', ...args]);
    expect(inline.code, inline.stderr).toBe(0);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM orders WHERE region IS NULL')).toEqual([{ n: 0 }]);
    addFile(dir, '0004_region_valid.sql', '-- schemaguard:after-backfill 0002_region.sql\nALTER TABLE orders VALIDATE CONSTRAINT orders_region_required;\n');
    const after = await runCliInProcess(['plan', '--json', ...args]);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ refusals: [], notes: [], pending: [{ file: '0004_region_valid.sql' }] });
  });

  it('refuses, exit 2, an after-backfill that names a file without a backfill', async () => {
    const { dir, args } = await project('plan_backfill_unknown');
    addFile(dir, '0002_region.sql', '-- schemaguard:after-backfill 0001_orders.sql\nALTER TABLE orders ADD COLUMN region text;\n');
    const r = await runCliInProcess(['plan', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      '0002_region.sql:1: schemaguard:after-backfill 0001_orders.sql names a file without a backfill (no -- schemaguard:backfill in it)',
    );
  });
});
