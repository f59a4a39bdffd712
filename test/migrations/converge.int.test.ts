/**
 * From an empty database and from every drifted fixture, the fixes in
 * migrations/ end in the same schema (normalised catalog), without losing rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffCatalogs, formatDifferences, type Catalog } from '../../lambda/schema/catalog';
import { fullMatrixMajors, dropDatabases, freshDatabase, rows, withClient } from '../support/db';
import { migrate } from '../../lambda/engine/runner';
import { loadMigrations } from '../../lambda/engine/files/source';
import { makeDataApiDriver } from '../support/drivers';
import { ALL_VERSIONS, appliedVersions, catalogOf, loadFixture, MIGRATIONS_DIR, rowCounts, runFixes } from '../support/schema-fixes';

afterAll(dropDatabases);

const CONVERGING = ['hand_script', 'duplicate_purchases', 'partly_fixed', 'dashless_ids', 'wrong_definitions', 'varchar_foreign_keys'];

describe.each(fullMatrixMajors)('$name', (target) => {
  let expected: Catalog;

  beforeAll(async () => {
    const url = await freshDatabase(target, 'fresh');
    const result = await runFixes(url);
    expect(result.applied.map((a) => a.version)).toEqual(ALL_VERSIONS);
    expected = await catalogOf(url);
  });

  describe('from an empty database', () => {
    it('creates every application table, constraint, index and the function', () => {
      expect(expected.tables.map((t) => t.name)).toEqual([
        'accounts',
        'all_leads',
        'appointments',
        'availability_configs',
        'blackout_dates',
        'bot_configs',
        'conversations',
        'lead_purchases',
        'leads',
        'services',
        'social_sessions',
        'student_course_purchases',
        'test_chat_sessions',
        'users',
        'voice_sessions',
        'web_sessions',
        'whatsapp_sessions',
      ]);
      const fks = expected.tables.flatMap((t) => t.constraints.filter((c) => c.type === 'f').map((c) => `${t.name}.${c.name}`));
      expect(fks).toHaveLength(15);
      expect(expected.tables.flatMap((t) => t.constraints).every((c) => c.validated)).toBe(true);
      expect(expected.functions.map((f) => `${f.name}(${f.arguments}) -> ${f.result}`)).toEqual([
        'create_lead_with_conversation(p_user_id uuid, p_customer_phone text, p_customer_name text, p_lead_type text, p_details text, p_conversation_status text, p_lead_status text) -> json',
      ]);
      expect(expected.extensions.map((e) => e.name)).toEqual(['pgcrypto']);
    });

    it('gives every uuid primary key DEFAULT gen_random_uuid()', () => {
      for (const t of expected.tables) {
        const id = t.columns.find((c) => c.name === 'id')!;
        expect(`${t.name}: ${id.type} ${id.default}`).toBe(`${t.name}: uuid gen_random_uuid()`);
      }
    });

    it('does nothing on a second run', async () => {
      const url = await freshDatabase(target, 'twice');
      await runFixes(url);
      const again = await runFixes(url);
      expect(again.outcome).toBe('up-to-date');
      expect(diffCatalogs(expected, await catalogOf(url))).toEqual([]);
    });
  });

  describe.each(CONVERGING)('from fixture %s', (fixture) => {
    it('ends in the same schema as a fresh database and keeps every row', async () => {
      const url = await freshDatabase(target, fixture);
      await loadFixture(url, fixture);
      const before = await rowCounts(url);

      const result = await runFixes(url);

      expect(result.outcome).toBe('applied');
      expect(await appliedVersions(url)).toEqual(ALL_VERSIONS);
      const diffs = diffCatalogs(expected, await catalogOf(url));
      expect(formatDifferences(diffs, { a: 'fresh', b: fixture })).toBe('');
      const after = await rowCounts(url);
      for (const [table, n] of Object.entries(before)) expect(`${table}: ${after[table]}`).toBe(`${table}: ${n}`);
    });
  });

  it('converts 32-hex ids without dashes to uuid and keeps every reference', async () => {
    const url = await freshDatabase(target, 'dashless');
    await loadFixture(url, 'dashless_ids');
    await runFixes(url);
    expect(await rows(url, 'SELECT id::text, name FROM accounts ORDER BY name')).toEqual([
      { id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', name: 'Acme Travel' },
      { id: '9b2d1c7e-5a4f-4e3d-8c2b-1a0f9e8d7c6b', name: 'Globe Tours' },
    ]);
    expect(await rows(url, `SELECT a.id::text, ac.name FROM appointments a JOIN accounts ac ON ac.id = a.account_id ORDER BY a.id`)).toEqual([
      { id: '16000000-0000-4000-8000-000000000001', name: 'Globe Tours' },
      { id: '16000000-0000-4000-8000-000000000002', name: 'Acme Travel' },
    ]);
    expect(await rows(url, `SELECT u.email, ac.name FROM users u LEFT JOIN accounts ac ON ac.id = u.account_id ORDER BY u.email`)).toEqual([
      { email: 'u1@example.com', name: 'Acme Travel' },
      { email: 'u2@example.com', name: null },
    ]);
  });

  it('keeps the earliest active purchase of each pair, deactivates the others and records them', async () => {
    const url = await freshDatabase(target, 'dupes');
    await loadFixture(url, 'duplicate_purchases');
    await runFixes(url);
    expect(await rows(url, `SELECT id::text FROM student_course_purchases WHERE is_active ORDER BY id`)).toEqual([
      { id: 'e0000000-0000-4000-8000-000000000012' },
      { id: 'e0000000-0000-4000-8000-000000000021' },
      { id: 'e0000000-0000-4000-8000-000000000031' },
    ]);
    expect(await rows(url, `SELECT purchase_id::text, kept_purchase_id::text FROM schema_fix_audit.deactivated_purchases ORDER BY purchase_id`)).toEqual([
      { purchase_id: 'e0000000-0000-4000-8000-000000000011', kept_purchase_id: 'e0000000-0000-4000-8000-000000000012' },
      { purchase_id: 'e0000000-0000-4000-8000-000000000013', kept_purchase_id: 'e0000000-0000-4000-8000-000000000012' },
      { purchase_id: 'e0000000-0000-4000-8000-000000000022', kept_purchase_id: 'e0000000-0000-4000-8000-000000000021' },
    ]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM student_course_purchases')).toEqual([{ n: 7 }]);
  });

  it('drops the INVALID unique_active_purchase a failed CREATE INDEX CONCURRENTLY left, then builds it', async () => {
    const url = await freshDatabase(target, 'invalididx');
    await loadFixture(url, 'duplicate_purchases');
    // Fixed by hand, half-way: the concurrent build fails on the duplicates and leaves an INVALID index.
    const failed = await withClient(url, (c) =>
      c.query('CREATE UNIQUE INDEX CONCURRENTLY unique_active_purchase ON student_course_purchases (student_id, course_id) WHERE is_active = true').then(
        () => undefined,
        (e: { code?: string }) => e.code,
      ),
    );
    expect(failed).toBe('23505');
    expect(await rows(url, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'unique_active_purchase'::regclass`)).toEqual([{ indisvalid: false }]);

    const result = await runFixes(url);

    expect(result.outcome).toBe('applied');
    expect(await rows(url, `SELECT indisvalid FROM pg_index WHERE indexrelid = 'unique_active_purchase'::regclass`)).toEqual([{ indisvalid: true }]);
    expect(formatDifferences(diffCatalogs(expected, await catalogOf(url)))).toBe('');
  });

  it('runs the no-transaction 0006 again after a run that applied its statements but recorded nothing', async () => {
    const url = await freshDatabase(target, 'rerun6');
    await loadFixture(url, 'duplicate_purchases');
    await runFixes(url, { upTo: 6 });
    // A failed no-transaction run keeps what its statements did and records nothing.
    await rows(url, 'DELETE FROM schemaguard.applied_migrations WHERE version = 6');

    const result = await runFixes(url);

    expect(result.applied.map((a) => a.version)).toEqual([6, 7, 8, 9]);
    expect(await rows(url, 'SELECT count(*)::int AS n FROM schema_fix_audit.deactivated_purchases')).toEqual([{ n: 3 }]);
    expect(formatDifferences(diffCatalogs(expected, await catalogOf(url)))).toBe('');
  });

  it('replaces a hand-made foreign key, CHECK and index of the wrong definition', async () => {
    const url = await freshDatabase(target, 'wrongdefs');
    await loadFixture(url, 'wrong_definitions');
    await runFixes(url);
    // The non-partial unique index is gone: a student may buy a course again after cancelling.
    await rows(
      url,
      `INSERT INTO student_course_purchases (student_id, course_id, is_active)
                     VALUES ('f0000000-0000-4000-8000-000000000002', 'f1000000-0000-4000-8000-000000000001', true)`,
    );
    expect(await rows(url, `SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'f'`)).toEqual([
      { conname: 'users_account_id_fkey' },
    ]);
  });

  it('converges the hand-written script through the Data API driver too (its batched DO blocks run as bare calls)', async () => {
    const url = await freshDatabase(target, 'dapi_hand');
    await loadFixture(url, 'hand_script');
    const before = await rowCounts(url);
    const driver = makeDataApiDriver(url);

    const result = await migrate({ driver, migrations: loadMigrations(MIGRATIONS_DIR), appliedBy: 'schema-fix tests', lockWaitMs: 10_000, retryDelayMs: 50 });

    expect(result.applied.map((a) => a.version)).toEqual(ALL_VERSIONS);
    expect(formatDifferences(diffCatalogs(expected, await catalogOf(url)), { a: 'fresh', b: 'hand_script via the Data API' })).toBe('');
    const after = await rowCounts(url);
    for (const [table, n] of Object.entries(before)) expect(`${table}: ${after[table]}`).toBe(`${table}: ${n}`);
  });
});
