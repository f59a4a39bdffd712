/**
 * The shipped fixes on every major RDS and Aurora run (13 to 18).
 * Regression: on PostgreSQL 13, 0007 stopped at
 * `0007_constraints_not_valid.sql:93: operator does not exist: text[] || name[]`
 * (42883): 13 has no operator for a text[] and a name[] (pg_constraint.conname),
 * so a fresh database could not be migrated at all.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { allMajors, dropDatabases, freshDatabase, rows, withClient } from '../support/db';
import { ALL_VERSIONS, appliedVersions, runFixes } from '../support/schema-fixes';

afterAll(dropDatabases);

describe.each(allMajors)('migrations/ on $name', (target) => {
  it('0007_constraints_not_valid.sql: no "operator does not exist: text[] || name[]" (42883, PostgreSQL 13): a fresh database is migrated to the end', async () => {
    const url = await freshDatabase(target, 'fix_fresh');
    const r = await runFixes(url);
    expect(r.applied.map((a) => a.version)).toEqual(ALL_VERSIONS);
    expect(await appliedVersions(url)).toEqual(ALL_VERSIONS);
  });

  it('0007 replaces a foreign key made by hand under another name on the same column (the name[] it collects)', async () => {
    const url = await freshDatabase(target, 'fix_other_fk');
    await runFixes(url, { upTo: 6 });
    await withClient(url, (c) => c.query('ALTER TABLE web_sessions ADD CONSTRAINT hand_made_lead_fk FOREIGN KEY (lead_id) REFERENCES all_leads(id)'));
    await runFixes(url);
    const keys = await rows<{ conname: string }>(
      url,
      "SELECT conname FROM pg_constraint WHERE conrelid = 'web_sessions'::regclass AND contype = 'f' ORDER BY 1",
    );
    expect(keys.map((k) => k.conname)).toEqual(['web_sessions_lead_id_fkey']);
  });
});
