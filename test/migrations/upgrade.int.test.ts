/**
 * Databases that ran migrations/ before the online forms stay valid: the
 * rewritten 0003, 0004 and 0007 name the earlier texts' checksums
 * (`-- schemaguard:valid-checksum`), so a database that ran them counts them
 * as applied, and whatever prefix of the earlier files it ran, the current
 * files finish it into the same schema as an empty database gets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksum } from '../../lambda/engine/files/checksum';
import { loadMigrations } from '../../lambda/engine/files/source';
import { diffCatalogs, formatDifferences, type Catalog } from '../../lambda/schema/catalog';
import { fullMatrixMajors, dropDatabases, freshDatabase, rows } from '../support/db';
import { ALL_VERSIONS, appliedVersions, catalogOf, inPlaceMigrations, loadFixture, MIGRATIONS_DIR, rowCounts, runFixes } from '../support/schema-fixes';

afterAll(dropDatabases);

describe('the earlier texts', () => {
  it('are named by the files that replace them, and only those files changed', () => {
    const current = loadMigrations(MIGRATIONS_DIR);
    const earlier = inPlaceMigrations();
    const changed = earlier.filter((m, k) => m.checksum !== current[k]!.checksum);

    expect(changed.map((m) => m.file)).toEqual(['0003_accounts_id_uuid.sql', '0004_defaults_nullable_lead_id.sql', '0007_constraints_not_valid.sql']);
    for (const m of changed) {
      const now = current.find((c) => c.version === m.version)!;
      expect(`${now.file}: ${now.directives.validChecksums?.includes(checksum(m.text))}`).toBe(`${now.file}: true`);
    }
  });
});

describe.each(fullMatrixMajors)('$name', (target) => {
  let expected: Catalog;

  beforeAll(async () => {
    const url = await freshDatabase(target, 'upg_fresh');
    await runFixes(url);
    expected = await catalogOf(url);
  });

  it('an empty database that ran the earlier 0001-0009 is up to date, with the same schema', async () => {
    const url = await freshDatabase(target, 'upg_all');
    const before = await runFixes(url, { migrations: inPlaceMigrations() });
    expect(before.applied.map((a) => a.version)).toEqual(ALL_VERSIONS);

    const after = await runFixes(url);

    expect(after.outcome).toBe('up-to-date');
    expect(formatDifferences(diffCatalogs(expected, await catalogOf(url)), { a: 'fresh', b: 'earlier texts' })).toBe('');
    // The state keeps what really ran.
    expect((await rows<{ checksum: string }>(url, 'SELECT checksum FROM schemaguard.applied_migrations WHERE version = 3'))[0]!.checksum).toBe(
      inPlaceMigrations()[2]!.checksum,
    );
  });

  it.each([0, 2, 3, 4, 5, 6, 7, 8, 9])('the hand-written script, after the earlier files up to %i, converges and keeps every row', async (upTo) => {
    const url = await freshDatabase(target, `upg_hand_${upTo}`);
    await loadFixture(url, 'hand_script');
    const rowsBefore = await rowCounts(url);
    if (upTo > 0) await runFixes(url, { migrations: inPlaceMigrations(), upTo });

    const result = await runFixes(url);

    expect(result.applied.map((a) => a.version)).toEqual(ALL_VERSIONS.filter((v) => v > upTo));
    expect(await appliedVersions(url)).toEqual(ALL_VERSIONS);
    expect(formatDifferences(diffCatalogs(expected, await catalogOf(url)), { a: 'fresh', b: `hand_script + earlier 1-${upTo}` })).toBe('');
    const rowsAfter = await rowCounts(url);
    for (const [table, n] of Object.entries(rowsBefore)) expect(`${table}: ${rowsAfter[table]}`).toBe(`${table}: ${n}`);
  });

  it('a database stopped by orphans under the earlier files finishes under the new ones once repaired', async () => {
    const url = await freshDatabase(target, 'upg_orphans');
    await loadFixture(url, 'orphaned_references');
    await runFixes(url, { migrations: inPlaceMigrations() }).catch(() => undefined);
    expect(await appliedVersions(url)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    await rows(url, 'UPDATE appointments SET duration = 30 WHERE duration <= 0');
    await rows(url, 'UPDATE appointments a SET account_id = NULL WHERE NOT EXISTS (SELECT 1 FROM accounts x WHERE x.id = a.account_id)');
    await rows(url, 'UPDATE users u SET account_id = NULL WHERE NOT EXISTS (SELECT 1 FROM accounts x WHERE x.id = u.account_id)');
    await rows(url, 'UPDATE web_sessions s SET lead_id = NULL WHERE NOT EXISTS (SELECT 1 FROM all_leads x WHERE x.id = s.lead_id)');

    const result = await runFixes(url);

    expect(result.applied.map((a) => a.version)).toEqual([8, 9]);
    expect(formatDifferences(diffCatalogs(expected, await catalogOf(url)))).toBe('');
  });
});
