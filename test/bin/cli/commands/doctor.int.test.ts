/** `schemaguard doctor` through the real executable. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { runFixes } from '../../../support/schema-fixes';

afterAll(dropDatabases);

const target = targets[0]!;

describe(`CLI: schemaguard doctor on ${target.name}, on a migrated database`, () => {
  let url: string;
  beforeAll(async () => {
    url = await freshDatabase(target, 'cli_doctor');
    await runFixes(url);
  });

  it('doctor exits 0 on the fixed schema and 1 when a uuid id loses its default', async () => {
    const ok = await runCli(['doctor', '--database-url', url]);
    expect(ok.code, ok.stdout).toBe(0);
    await withClient(url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id DROP DEFAULT'));
    try {
      const bad = await runCli(['doctor', '--database-url', url]);
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain('lead_purchases.id: error pk-without-default: lead_purchases.id is a primary key of type uuid without a default');
      expect(bad.stdout).toContain('fix: ALTER TABLE lead_purchases ALTER COLUMN id SET DEFAULT gen_random_uuid();');
      const j = await runCli(['doctor', '--database-url', url, '--json']);
      expect(JSON.parse(j.stdout)).toMatchObject({ command: 'doctor', errors: 1 });
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE lead_purchases ALTER COLUMN id SET DEFAULT gen_random_uuid()'));
    }
  });
});
