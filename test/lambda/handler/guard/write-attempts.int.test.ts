/**
 * Every way we know to write as the guard's role, on PostgreSQL 18 and 15
 * (`versionPair`): the role made by the deploy's guard-role resource (after
 * the shipped migrations, with the shipped contracts for its planner), on a
 * database that also holds a second service's state schema and on which
 * PUBLIC has CREATE on schema public (PostgreSQL 13's and 14's default). Each
 * attempt fails, and afterwards not one row of any table, nor the catalog,
 * has changed.
 *
 * What PostgreSQL gives every role and no privilege takes away (its own
 * password and session defaults, its own large objects and temporary tables)
 * is tried too, inside transactions rolled back, and shown to reach nothing
 * of anyone else (docs/guide/guard-role.md, "What the role can still do").
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANNER } from '../../../../lambda/checks/contracts/contract-planner';
import { plannerRoleName } from '../../../../lambda/handler/guard/planner-sql';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, rows, versionPair, withClient } from '../../../support/db';
import { dropRigRoles, guardRig, type GuardRig } from '../../../support/guard-rig';
import { rolePower, tableContents } from '../../../support/role-privileges';
import { CONTRACTS_DIR, MIGRATIONS_DIR } from '../../../support/schema-fixes';

const ctx = { getRemainingTimeInMillis: () => 120_000 };
const rigs: GuardRig[] = [];
afterAll(async () => {
  await dropDatabases();
  await dropRigRoles();
  for (const r of rigs) await withClient(r.target.adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${plannerRoleName(r.guard.name)}`)).catch(() => undefined);
});

/** The SQLSTATE of the first statement that fails in a fresh session of the guard (`ok` when none does), with startup `options`. */
async function attempt(r: GuardRig, statements: string[], options?: string): Promise<string> {
  return (await attemptWithMessage(r, statements, options)).code;
}

async function attemptWithMessage(r: GuardRig, statements: string[], options?: string): Promise<{ code: string; message: string }> {
  const c = new pg.Client({ connectionString: r.guard.url, ...(options ? { options } : {}) });
  c.on('error', () => undefined);
  const failed = (e: unknown, prefix = '') => ({ code: `${prefix}${(e as { code?: string }).code ?? String(e)}`, message: (e as Error).message });
  try {
    await c.connect();
  } catch (e) {
    return failed(e, 'connect ');
  }
  try {
    for (const s of statements) await c.query(s);
    return { code: 'ok', message: '' };
  } catch (e) {
    return failed(e);
  } finally {
    await c.end().catch(() => undefined);
  }
}

const SECOND_SERVICE = `CREATE SCHEMA billing_state;
  CREATE TABLE billing_state.applied_migrations (version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(), execution_ms integer NOT NULL DEFAULT 0, applied_by text NOT NULL DEFAULT 'billing');
  INSERT INTO billing_state.applied_migrations (version, name, checksum) VALUES (1, 'invoices', 'c1'), (2, 'credits', 'c2')`;

const SEED = `INSERT INTO all_leads (name) VALUES ('a'), ('b');
  SELECT create_lead_with_conversation(gen_random_uuid(), '+100', 'Ann', 'booking', 'x');
  INSERT INTO web_sessions (visitor_id) VALUES ('v1');
  CREATE SEQUENCE public.order_numbers`;

describe.each(versionPair)("the guard's role on $name", (target) => {
  let r: GuardRig;
  let before: { contents: string[]; catalog: string };
  const victim = 'public.web_sessions';

  beforeAll(async () => {
    r = await guardRig(target, 'pg', 'writes', { contractsDir: CONTRACTS_DIR });
    rigs.push(r);
    await r.migrate(MIGRATIONS_DIR);
    await withClient(r.master.url, (c) => c.query(`${SECOND_SERVICE}; ${SEED}`));
    // PostgreSQL 13's and 14's default, on every server of the run: the deploy must take it away.
    await withClient(r.url, (c) => c.query('GRANT CREATE ON SCHEMA public TO PUBLIC'));
    await r.handlers.onEvent(r.roleEvent('Create'), ctx);
    before = { contents: await tableContents(r.url), catalog: await catalogFingerprint(r.url) };
  });

  it("holds exactly: LOGIN; CONNECT and TEMPORARY on the database; USAGE on the migrations' schemas and the state schema; SELECT on their tables and sequences; nothing else", async () => {
    const power = await rolePower(r.url, r.guard.name);
    expect(power.attributes).toEqual(['LOGIN']);
    expect(power.memberOf).toEqual([]);
    expect(power.database).toBe('CONNECT, TEMPORARY');
    expect(power.schemas).toEqual(['schema public: USAGE', 'schema schema_fix_audit: USAGE', 'schema schemaguard: USAGE']);
    expect(power.relations.filter((l) => !l.endsWith(': SELECT'))).toEqual([]);
    expect(power.relations).toContain('sequence public.order_numbers: SELECT');
    expect(power.relations.filter((l) => l.includes('billing_state'))).toEqual([]);
    expect(power.relations).toContain('table schemaguard.applied_migrations: SELECT');
    expect(power.relations.filter((l) => l.includes(PLANNER.table))).toEqual([]);
    expect(power.relations).toContain(`table ${victim}: SELECT`);
    const functions = await rows<{ f: string }>(
      r.url,
      `SELECT p.oid::regprocedure::text AS f FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = 'schemaguard' AND has_function_privilege($1, p.oid, 'EXECUTE')`,
      [r.guard.name],
    );
    expect(functions).toEqual([{ f: `schemaguard.${PLANNER.function}(text,text)` }]);
  });

  it("its planner holds exactly: no LOGIN, no membership; USAGE on the migrations' schemas and the state schema; SELECT, INSERT, UPDATE, DELETE on the migrations' tables; SELECT on the stored contracts; it owns the plan function", async () => {
    const planner = plannerRoleName(r.guard.name);
    const power = await rolePower(r.url, planner);
    expect(power.attributes).toEqual([]);
    expect(power.memberOf).toEqual([]);
    expect(power.schemas).toEqual(['schema public: USAGE', 'schema schema_fix_audit: USAGE', 'schema schemaguard: USAGE']);
    const inState = power.relations.filter((l) => l.includes(' schemaguard.'));
    expect(inState).toEqual([`table schemaguard.${PLANNER.table}: SELECT`]);
    expect(power.relations.filter((l) => l.startsWith('table ') && !l.includes(' schemaguard.') && !l.endsWith(': SELECT, INSERT, UPDATE, DELETE'))).toEqual(
      [],
    );
    expect(
      await rows(r.url, `SELECT pg_get_userbyid(proowner)::text AS owner, prosecdef AS definer FROM pg_proc WHERE proname = $1`, [PLANNER.function]),
    ).toEqual([{ owner: planner, definer: true }]);
  });

  it.each([
    ["a plain INSERT (the role's default is read-only)", [`INSERT INTO ${victim} (visitor_id) VALUES ('x')`], '25006'],
    [
      'SET default_transaction_read_only = off, then INSERT … RETURNING',
      ['SET default_transaction_read_only = off', `INSERT INTO ${victim} (visitor_id) VALUES ('x') RETURNING id`],
      '42501',
    ],
    ['SET default_transaction_read_only = off, then DELETE', ['SET default_transaction_read_only = off', `DELETE FROM ${victim}`], '42501'],
    [
      'SET transaction_read_only = off in a new transaction, then UPDATE',
      ['BEGIN', 'SET transaction_read_only = off', `UPDATE ${victim} SET visitor_id = 'y'`],
      '42501',
    ],
    [
      'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE, then DELETE',
      ['SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE', `DELETE FROM ${victim}`],
      '42501',
    ],
    ['BEGIN READ WRITE, then TRUNCATE', ['BEGIN READ WRITE', `TRUNCATE ${victim}`], '42501'],
    [
      'BEGIN READ WRITE, then INSERT … ON CONFLICT DO UPDATE',
      ['BEGIN READ WRITE', "INSERT INTO all_leads (name) VALUES ('z') ON CONFLICT DO NOTHING"],
      '42501',
    ],
    ['BEGIN READ WRITE, then a writable CTE', ['BEGIN READ WRITE', `WITH d AS (DELETE FROM ${victim} RETURNING 1) SELECT count(*) FROM d`], '42501'],
    ['BEGIN READ WRITE, then COPY … FROM STDIN', ['BEGIN READ WRITE', `COPY ${victim} (visitor_id) FROM STDIN`], '42501'],
    ['BEGIN READ WRITE, then the state table of this service', ['BEGIN READ WRITE', 'DELETE FROM schemaguard.applied_migrations'], '42501'],
    ["BEGIN READ WRITE, then the second service's state table", ['BEGIN READ WRITE', 'DELETE FROM billing_state.applied_migrations'], '42501'],
    ["BEGIN READ WRITE, then the planner's contracts table", ['BEGIN READ WRITE', `DELETE FROM schemaguard.${PLANNER.table}`], '42501'],
    ['BEGIN READ WRITE, then nextval', ['BEGIN READ WRITE', "SELECT nextval('public.order_numbers')"], '42501'],
    ['BEGIN READ WRITE, then setval', ['BEGIN READ WRITE', "SELECT setval('public.order_numbers', 100)"], '42501'],
    ['BEGIN READ WRITE, then CREATE TABLE in public (PUBLIC had CREATE there)', ['BEGIN READ WRITE', 'CREATE TABLE public.sneaky (id int)'], '42501'],
    ['BEGIN READ WRITE, then CREATE SCHEMA', ['BEGIN READ WRITE', 'CREATE SCHEMA sneaky'], '42501'],
    [
      'BEGIN READ WRITE, then CREATE FUNCTION in public',
      ['BEGIN READ WRITE', "CREATE FUNCTION public.sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'"],
      '42501',
    ],
    ['BEGIN READ WRITE, then ALTER TABLE', ['BEGIN READ WRITE', `ALTER TABLE ${victim} ADD COLUMN sneaky int`], '42501'],
    // A GRANT of what it does not hold is a warning, "no privileges were granted": the INSERT after it is still refused.
    [
      'BEGIN READ WRITE, then GRANT itself a write',
      ['BEGIN READ WRITE', `GRANT INSERT ON ${victim} TO CURRENT_USER`, `INSERT INTO ${victim} (visitor_id) VALUES ('x')`],
      '42501',
    ],
    ['BEGIN READ WRITE, then LOCK TABLE … ACCESS EXCLUSIVE', ['BEGIN READ WRITE', `LOCK TABLE ${victim} IN ACCESS EXCLUSIVE MODE`], '42501'],
    [
      "BEGIN READ WRITE, then the application's function that writes",
      ['BEGIN READ WRITE', "SELECT create_lead_with_conversation(gen_random_uuid(), '+1', 'Eve', 'booking')"],
      '42501',
    ],
    ['BEGIN READ WRITE, then lo_import (a server file into a large object)', ['BEGIN READ WRITE', "SELECT lo_import('/etc/hostname')"], '42501'],
    ['SET ROLE to the contract planner', ['SET ROLE PLANNER'], '42501'],
    ['SET SESSION AUTHORIZATION to the master user', ['SET SESSION AUTHORIZATION MASTER'], '42501'],
    ['ALTER ROLE itself to CREATEROLE', ['BEGIN READ WRITE', 'ALTER ROLE CURRENT_USER CREATEROLE'], '42501'],
    ['ALTER ROLE itself, in its default (read-only) transaction', ['ALTER ROLE CURRENT_USER SET default_transaction_read_only = off'], '25006'],
    ['ALTER ROLE itself PASSWORD, in its default (read-only) transaction', ["ALTER ROLE CURRENT_USER PASSWORD 'taken-over'"], '25006'],
  ])('%s: refused (%s)', async (_what, statements, expected) => {
    const resolved = statements.map((s) => s.replace('PLANNER', plannerRoleName(r.guard.name)).replace('MASTER', r.master.name));
    expect(await attempt(r, resolved)).toBe(expected);
  });

  it("the planner refuses a session with a temporary table that could stand in for a contract's", async () => {
    const [stored] = await rows<{ checksum: string }>(r.url, `SELECT checksum FROM schemaguard.${PLANNER.table} WHERE name = 'web_session_insert'`);
    const refused = await attemptWithMessage(r, [
      'BEGIN READ WRITE',
      'CREATE TEMP TABLE web_sessions (id uuid, visitor_id text)',
      `SELECT schemaguard.${PLANNER.function}('web_session_insert', '${stored!.checksum}')`,
    ]);
    expect(refused).toEqual({
      code: '42501',
      message: "the contract planner refuses a session with temporary objects (they could stand in for the contract's tables or types)",
    });
  });

  it.each([
    ['default_transaction_read_only=off', '-c default_transaction_read_only=off', `DELETE FROM ${'public.web_sessions'}`, '42501'],
    // The role's read-only default comes after the startup option: refused as read-only, and without the privilege besides.
    ['transaction_read_only=off', '-c transaction_read_only=off', "INSERT INTO public.web_sessions (visitor_id) VALUES ('x')", '25006'],
    ['role=<the planner>', '-c role=PLANNER', 'SELECT 1', 'connect 42501'],
    ['session_authorization=<the master>', '-c session_authorization=MASTER', 'SELECT 1', 'connect 42501'],
  ])('startup options (PGOPTIONS) %s: refused', async (_what, options, statement, expected) => {
    const resolved = options.replace('PLANNER', plannerRoleName(r.guard.name)).replace('MASTER', r.master.name);
    expect(await attempt(r, [statement], resolved)).toBe(expected);
  });

  it("every function the role may execute in the migrations' schemas, called with NULLs in a READ WRITE transaction, writes nothing", async () => {
    const functions = await rows<{ call: string }>(
      r.url,
      `
      SELECT format('SELECT %I.%I(%s)', n.nspname, p.proname, array_to_string(ARRAY(SELECT 'NULL::' || format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) AS t), ', ')) AS call
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname IN ('public', 'schema_fix_audit', 'schemaguard') AND p.prokind = 'f' AND NOT p.proretset
         AND has_function_privilege($1, p.oid, 'EXECUTE') ORDER BY 1`,
      [r.guard.name],
    );
    expect(functions.length).toBeGreaterThan(10);
    for (const { call } of functions) await attempt(r, ['BEGIN READ WRITE', call, 'COMMIT']);
    expect(await tableContents(r.url)).toEqual(before.contents);
  });

  it('the planner, called with each contract it holds in a READ WRITE transaction, plans and writes nothing; SQL text is no contract name; it leaves no prepared statement', async () => {
    const stored = await rows<{ name: string; checksum: string }>(r.url, `SELECT name, checksum FROM schemaguard.${PLANNER.table} ORDER BY name`);
    expect(stored.map((s) => s.name)).toEqual([
      'lead_purchase_insert',
      'purchase_upsert',
      'social_session_insert',
      'voice_session_insert',
      'web_session_insert',
      'whatsapp_session_insert',
    ]);
    const c = new pg.Client({ connectionString: r.guard.url });
    await c.connect();
    try {
      await c.query('BEGIN READ WRITE');
      for (const s of stored) {
        const answer = (await c.query<{ a: { stage: string } }>(`SELECT schemaguard.${PLANNER.function}($1, $2) AS a`, [s.name, s.checksum])).rows[0]!.a;
        expect(answer.stage).toBe('planned');
      }
      expect((await c.query(`SELECT schemaguard.${PLANNER.function}($1, $2) AS a`, [`DELETE FROM ${victim}`, 'x'])).rows[0].a).toBeNull();
      expect((await c.query('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows[0].n).toBe(0);
      // The planner left the transaction read-only: not even the role's own temporary table takes a row now.
      await expect(c.query(`INSERT INTO ${victim} (visitor_id) VALUES ('x')`)).rejects.toMatchObject({ code: '25006' });
      await c.query('ROLLBACK');
    } finally {
      await c.end();
    }
    expect(await tableContents(r.url)).toEqual(before.contents);
  });

  it('what PostgreSQL gives every role (its own password and settings, its large objects, temporary tables) reaches nothing of anyone else', async () => {
    // Each inside a READ WRITE transaction rolled back: PostgreSQL lets any role do these, and no privilege takes them away.
    expect(await attempt(r, ['BEGIN READ WRITE', "ALTER ROLE CURRENT_USER PASSWORD 'taken-over'", 'ROLLBACK'])).toBe('ok');
    expect(await attempt(r, ['BEGIN READ WRITE', 'ALTER ROLE CURRENT_USER SET default_transaction_read_only = off', 'ROLLBACK'])).toBe('ok');
    expect(await attempt(r, ['BEGIN READ WRITE', "SELECT lo_from_bytea(0, 'x')", 'ROLLBACK'])).toBe('ok');
    expect(await attempt(r, ['BEGIN READ WRITE', 'CREATE TEMP TABLE mine AS SELECT * FROM public.web_sessions', 'DELETE FROM mine', 'ROLLBACK'])).toBe('ok');
    // Read-write by its own default still writes nothing of anyone else's.
    expect(await attempt(r, [`DELETE FROM ${victim}`], '-c default_transaction_read_only=off')).toBe('42501');
  });

  it('after every attempt: not one row of any table, nor the catalog, has changed', async () => {
    expect(await tableContents(r.url)).toEqual(before.contents);
    expect(await catalogFingerprint(r.url)).toBe(before.catalog);
    expect(before.contents.find((t) => t.startsWith('billing_state.applied_migrations: 2 '))).toBeDefined();
    expect(before.contents.find((t) => t.startsWith(`${victim.replace('public.', '')}: 1 `))).toBeDefined();
  });
});
