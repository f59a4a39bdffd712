/**
 * Query contracts against real PostgreSQL: every failure mode, the ON CONFLICT
 * arbiter report, and proof that checking writes nothing.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertContracts, checkContracts, ContractFailedError, loadContracts, parseContract, type ContractResult } from '../../../../lambda/checks/contracts';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { makeDataApiDriver, standinFor } from '../../../support/drivers';
import { CONTRACTS_DIR, runFixes } from '../../../support/schema-fixes';

afterAll(dropDatabases);

const SCHEMA = `
CREATE DOMAIN created_ts AS timestamptz NOT NULL DEFAULT now();
CREATE DOMAIN required_text AS text NOT NULL;
CREATE TABLE lead_purchases (id uuid PRIMARY KEY, lead_id uuid NOT NULL, price numeric(10,2));
CREATE TABLE student_course_purchases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  student_id uuid NOT NULL, course_id uuid NOT NULL, is_active boolean NOT NULL DEFAULT true,
  updated_at timestamptz);
CREATE UNIQUE INDEX unique_active_purchase ON student_course_purchases (student_id, course_id) WHERE is_active = true;
CREATE TABLE events (
  n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  kind_upper text GENERATED ALWAYS AS (upper(kind)) STORED,
  at created_ts,
  note required_text,
  CONSTRAINT events_kind_key UNIQUE (kind));
CREATE VIEW recent_events AS SELECT * FROM events;
`;

describe.each(targets)('$name', (target) => {
  let url: string;
  let driver: PgDriver;

  beforeAll(async () => {
    url = await freshDatabase(target, 'contracts');
    await withClient(url, (c) => c.query(SCHEMA));
    driver = new PgDriver({ connectionString: url });
  });
  afterAll(async () => {
    await driver.end();
  });

  async function check(text: string, file = 'contract.sql'): Promise<ContractResult> {
    const report = await checkContracts({ driver, contracts: [await parseContract(file, text)] });
    return report.results[0]!;
  }

  describe('ON CONFLICT', () => {
    const withoutPredicate =
      'INSERT INTO student_course_purchases (student_id, course_id) VALUES ($1, $2) ON CONFLICT (student_id, course_id) DO UPDATE SET updated_at = now()';

    it('PREPARE alone accepts an upsert whose target matches no index (the planner finds out)', async () => {
      await withClient(url, async (c) => {
        await c.query(`PREPARE p AS ${withoutPredicate}`);
        const e = await c.query('EXPLAIN EXECUTE p(NULL, NULL)').catch((err: { code?: string }) => err);
        expect((e as { code?: string }).code).toBe('42P10');
      });
    });

    it('fails the upsert without the partial index predicate, saying which index and which predicate', async () => {
      const r = await check(withoutPredicate);
      expect(r.ok).toBe(false);
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]).toMatchObject({ stage: 'plan', sqlstate: '42P10' });
      expect(r.failures[0]!.reason).toBe(
        'ON CONFLICT (student_id, course_id) matches no unique index or constraint of student_course_purchases: the unique index unique_active_purchase on (student_id, course_id) is partial (WHERE is_active = true) and is inferred only when the statement repeats its predicate (42P10)',
      );
      expect(r.failures[0]!.fix).toBe('write ON CONFLICT (student_id, course_id) WHERE is_active = true');
    });

    // Regression: an INVALID index (a failed CREATE UNIQUE INDEX CONCURRENTLY) was explained as a predicate the statement did repeat.
    it('an upsert that repeats the predicate of an INVALID unique index: the reason is the INVALID index, with its fix', async () => {
      const sql = "CREATE TABLE tickets (id int, state text); INSERT INTO tickets VALUES (1, 'open'), (1, 'open')";
      await withClient(url, async (c) => {
        await c.query(sql);
        await expect(c.query("CREATE UNIQUE INDEX CONCURRENTLY tickets_one_open ON tickets (id) WHERE state = 'open'")).rejects.toMatchObject({
          code: '23505',
        });
      });
      try {
        const r = await check("INSERT INTO tickets (id, state) VALUES ($1, 'open') ON CONFLICT (id) WHERE state = 'open' DO NOTHING");
        expect(r.failures[0]).toMatchObject({ stage: 'plan', sqlstate: '42P10' });
        expect(r.failures[0]!.reason).toBe(
          'ON CONFLICT (id) matches no usable unique index of tickets: the unique index tickets_one_open on (id) is INVALID (a CREATE UNIQUE INDEX CONCURRENTLY that failed, on duplicate rows or a lock), and PostgreSQL infers no arbiter from an INVALID index (42P10)',
        );
        expect(r.failures[0]!.fix).toBe(
          [
            // Regression: "remove the duplicates" without the query that lists them (doctor's invalid-index gives it).
            "SELECT id, count(*) FROM tickets WHERE (state = 'open'::text) AND id IS NOT NULL GROUP BY id HAVING count(*) > 1 LIMIT 20;  -- a UNIQUE build fails again while these exist: keep one row of each first",
            'remove the duplicates, then REINDEX INDEX CONCURRENTLY tickets_one_open (or DROP INDEX CONCURRENTLY tickets_one_open and build it again)',
          ].join('\n'),
        );
      } finally {
        await withClient(url, (c) => c.query('DROP TABLE tickets'));
      }
    });

    it('passes the upsert that repeats the predicate and reports the partial index it infers', async () => {
      const r = await check(`${withoutPredicate.replace('DO UPDATE', 'WHERE is_active = true DO UPDATE')} RETURNING id`);
      expect(r.failures).toEqual([]);
      expect(r.parameterTypes).toEqual(['uuid', 'uuid']);
      expect(r.arbiters).toEqual([
        {
          table: 'student_course_purchases',
          indexes: ['unique_active_purchase'],
          constraints: [null],
          description: 'unique index unique_active_purchase (partial: WHERE is_active = true)',
        },
      ]);
    });

    it('fails a target with no unique index at all', async () => {
      const r = await check('INSERT INTO lead_purchases (id, lead_id) VALUES ($1, $2) ON CONFLICT (lead_id) DO NOTHING');
      expect(r.failures[0]!.reason).toBe('ON CONFLICT (lead_id) matches no unique index or constraint of lead_purchases: there is none on (lead_id) (42P10)');
    });

    it('reports the constraint behind the index: a unique constraint, a primary key by name', async () => {
      expect((await check("INSERT INTO events (kind, note) VALUES ($1, 'x') ON CONFLICT (kind) DO NOTHING")).arbiters[0]).toMatchObject({
        indexes: ['events_kind_key'],
        constraints: ['events_kind_key'],
        description: 'unique constraint events_kind_key',
      });
      expect(
        (await check('INSERT INTO lead_purchases (id, lead_id) VALUES ($1, $2) ON CONFLICT ON CONSTRAINT lead_purchases_pkey DO NOTHING')).arbiters[0],
      ).toMatchObject({ description: 'primary key lead_purchases_pkey' });
    });

    it('fails ON CONFLICT ON CONSTRAINT once a migration renamed that constraint (42704), naming it', async () => {
      const upsert = 'INSERT INTO renamed_keys (k) VALUES ($1) ON CONFLICT ON CONSTRAINT renamed_keys_k_key DO NOTHING';
      await withClient(url, (c) => c.query('CREATE TABLE renamed_keys (k text CONSTRAINT renamed_keys_k_key UNIQUE)'));
      try {
        expect((await check(upsert)).failures).toEqual([]);
        await withClient(url, (c) => c.query('ALTER TABLE renamed_keys RENAME CONSTRAINT renamed_keys_k_key TO renamed_keys_k_unique'));

        const r = await check(upsert);

        expect(r.ok).toBe(false);
        expect(r.failures).toEqual([expect.objectContaining({ stage: 'prepare', sqlstate: '42704' })]);
        expect(r.failures[0]!.reason).toBe(
          'ON CONFLICT ON CONSTRAINT renamed_keys_k_key: renamed_keys has no constraint of that name (it has renamed_keys_k_unique (k)); a migration renamed or dropped it (42704)',
        );
        expect(r.failures[0]!.fix).toBe(
          'name the constraint as it is called now, or write the target as its columns, ON CONFLICT (…), which survives a rename',
        );

        await withClient(url, (c) => c.query('ALTER TABLE renamed_keys DROP CONSTRAINT renamed_keys_k_unique'));
        expect((await check(upsert)).failures[0]!.fix).toBe(
          'a migration must create the constraint renamed_keys_k_key on renamed_keys, or the statement must name the columns of a unique index',
        );
      } finally {
        await withClient(url, (c) => c.query('DROP TABLE renamed_keys'));
      }
    });

    it('says when DO NOTHING has no target (any unique index)', async () => {
      expect((await check('INSERT INTO lead_purchases (id, lead_id) VALUES ($1, $2) ON CONFLICT DO NOTHING')).arbiters[0]!.description).toBe(
        'no conflict target: any unique index or constraint (DO NOTHING)',
      );
    });
  });

  describe('INSERT and NOT NULL columns', () => {
    it('fails an INSERT that omits a NOT NULL column without a default, with the exact sentence', async () => {
      const r = await check('INSERT INTO lead_purchases (lead_id, price) VALUES ($1, $2) RETURNING id');
      expect(r.ok).toBe(false);
      expect(r.failures.map((f) => f.reason)).toEqual(['lead_purchases.id is NOT NULL, has no DEFAULT, and the statement does not set it']);
      expect(r.failures[0]!.fix).toContain('ALTER TABLE lead_purchases ALTER COLUMN id SET DEFAULT gen_random_uuid()');
      expect(r.failures[0]!.fix).not.toContain('DROP NOT NULL'); // a primary key's column
    });

    // Regression: a NOT NULL uuid foreign key set by hand got SET DEFAULT gen_random_uuid(), which breaks every insert (23503).
    it('a NOT NULL uuid foreign key the INSERT omits: no generated default, DROP NOT NULL or set it, and the DROP NOT NULL clears it', async () => {
      await withClient(url, (c) =>
        c.query(`CREATE TABLE all_leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid());
        CREATE TABLE web_sessions (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), lead_id uuid REFERENCES all_leads, started_at timestamptz);
        ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL`),
      );
      const contract = 'INSERT INTO web_sessions (started_at) VALUES (now()) RETURNING id';
      const r = await check(contract);
      expect(r.failures.map((f) => f.reason)).toEqual(['web_sessions.lead_id is NOT NULL, has no DEFAULT, and the statement does not set it']);
      const fix = r.failures[0]!.fix!;
      expect(fix).not.toContain('gen_random_uuid');
      expect(fix).toContain('the statement sets lead_id to the all_leads row it belongs to');
      const drop = /ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL;/.exec(fix)![0];
      await withClient(url, (c) => c.query(drop));
      expect((await check(contract)).failures).toEqual([]);
      await withClient(url, (c) => c.query('DROP TABLE web_sessions, all_leads'));
    });

    it('accepts omitted identity, generated and domain-default columns, and reports a NOT NULL domain without default', async () => {
      const ok = await check("INSERT INTO events (kind, note) VALUES ($1, 'n')");
      expect(ok.failures).toEqual([]);
      const r = await check('INSERT INTO events (kind) VALUES ($1)');
      expect(r.failures.map((f) => f.reason)).toEqual(['events.note is NOT NULL (domain required_text), has no DEFAULT, and the statement does not set it']);
    });

    it('reads positional INSERTs, DEFAULT and NULL in VALUES', async () => {
      expect((await check('INSERT INTO lead_purchases VALUES ($1, $2, $3)')).failures).toEqual([]);
      expect((await check('INSERT INTO lead_purchases VALUES ($1)')).failures.map((f) => f.reason)).toEqual([
        'lead_purchases.lead_id is NOT NULL, has no DEFAULT, and the statement does not set it',
      ]);
      expect((await check('INSERT INTO lead_purchases VALUES (DEFAULT, $1, $2)')).failures.map((f) => f.reason)).toEqual([
        'lead_purchases.id is NOT NULL, has no DEFAULT, and the statement does not set it',
      ]);
      expect((await check('INSERT INTO lead_purchases (id, lead_id) VALUES ($1, NULL)')).failures.map((f) => f.reason)).toEqual([
        'lead_purchases.lead_id is NOT NULL and the statement sets it to NULL',
      ]);
    });

    it('checks an INSERT inside WITH and INSERT … SELECT', async () => {
      const r = await check('WITH p AS (INSERT INTO lead_purchases (lead_id) VALUES ($1) RETURNING id) SELECT id FROM p');
      expect(r.failures.map((f) => f.reason)).toEqual(['lead_purchases.id is NOT NULL, has no DEFAULT, and the statement does not set it']);
      expect((await check('INSERT INTO lead_purchases (id, lead_id) SELECT gen_random_uuid(), $1::uuid')).failures).toEqual([]);
    });

    it('leaves views to their own rules', async () => {
      expect((await check("INSERT INTO recent_events (kind, note) VALUES ($1, 'x')")).failures).toEqual([]);
    });

    it('fails a write to a GENERATED ALWAYS identity column at PREPARE', async () => {
      const r = await check("INSERT INTO events (n, kind, note) VALUES (1, $1, 'x')");
      expect(r.failures[0]).toMatchObject({ stage: 'prepare', sqlstate: '428C9' });
    });
  });

  describe('missing objects and types', () => {
    it('fails a call to a function no migration created (42883)', async () => {
      const r = await check('SELECT create_lead_with_conversation($1, $2)');
      expect(r.failures[0]).toMatchObject({ stage: 'prepare', sqlstate: '42883' });
      expect(r.failures[0]!.reason).toMatch(/^function create_lead_with_conversation\(unknown, unknown\) does not exist \(42883\)$/);
      expect(r.failures[0]!.fix).toContain('a migration must create the function');
    });
    it('fails a missing column (42703) and a missing table (42P01)', async () => {
      expect((await check('SELECT buyer_id FROM lead_purchases WHERE id = $1')).failures[0]!.sqlstate).toBe('42703');
      expect((await check('SELECT * FROM web_sessions')).failures[0]!.sqlstate).toBe('42P01');
    });
    it('fails a type mismatch (42804)', async () => {
      const r = await check('INSERT INTO lead_purchases (id, lead_id) VALUES ($1, now())');
      expect(r.failures[0]).toMatchObject({ stage: 'prepare', sqlstate: '42804' });
      expect(r.failures[0]!.reason).toContain('column "lead_id" is of type uuid but expression is of type timestamp with time zone');
    });
  });

  // Regression: a table in a schema the role had no USAGE on (REVOKE USAGE ON SCHEMA public FROM PUBLIC) read "relation … does not exist", as if it were missing.
  describe("a role without USAGE on the table's schema", () => {
    const role = `sg_no_usage_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    let roleDriver: PgDriver;

    beforeAll(async () => {
      await withClient(url, (c) =>
        c.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'; GRANT SELECT ON lead_purchases TO ${role};
        CREATE SCHEMA hidden; CREATE TABLE hidden.h (id int); GRANT SELECT ON hidden.h TO ${role}; REVOKE USAGE ON SCHEMA public FROM PUBLIC`),
      );
      const u = new URL(url);
      u.username = role;
      u.password = password;
      roleDriver = new PgDriver({ connectionString: u.toString() });
    });
    afterAll(async () => {
      await roleDriver.end();
      await withClient(url, (c) => c.query(`GRANT USAGE ON SCHEMA public TO PUBLIC; DROP SCHEMA hidden CASCADE; DROP OWNED BY ${role}; DROP ROLE ${role}`));
    });

    async function checkAs(text: string): Promise<ContractResult> {
      return (await checkContracts({ driver: roleDriver, contracts: [await parseContract('lead_price.sql', text)] })).results[0]!;
    }

    it('a table named without its schema: the failure says the table exists, names the schema and the GRANT USAGE; granted, the contract passes', async () => {
      const r = await checkAs('SELECT price FROM lead_purchases WHERE id = $1');
      expect(r.failures).toEqual([
        {
          stage: 'prepare',
          sqlstate: '42P01',
          detail: undefined,
          hint: undefined,
          schemaWithoutUsage: 'public',
          reason: `relation "lead_purchases" does not exist (42P01): the table public.lead_purchases exists, but role ${role} has no USAGE on schema public, so PostgreSQL leaves that schema out of its search_path`,
          fix: `GRANT USAGE ON SCHEMA public TO ${role};  -- as the schema's owner or the master user`,
        },
      ]);
      await withClient(url, (c) => c.query(r.failures[0]!.fix!.replace(/ {2}--.*$/, '')));
      try {
        expect((await checkAs('SELECT price FROM lead_purchases WHERE id = $1')).ok).toBe(true);
      } finally {
        await withClient(url, (c) => c.query(`REVOKE USAGE ON SCHEMA public FROM ${role}`));
      }
    });

    it('a function called without its schema, in a schema without USAGE (42883): the same, for the function', async () => {
      await withClient(url, (c) => c.query(`CREATE FUNCTION public.lead_price(uuid) RETURNS numeric LANGUAGE sql AS 'SELECT 1'`));
      const r = await checkAs('SELECT lead_price($1)');
      expect(r.failures[0]).toMatchObject({
        sqlstate: '42883',
        schemaWithoutUsage: 'public',
        fix: `GRANT USAGE ON SCHEMA public TO ${role};  -- as the schema's owner or the master user`,
        reason: `function lead_price(unknown) does not exist (42883): the function public.lead_price exists, but role ${role} has no USAGE on schema public, so PostgreSQL leaves that schema out of its search_path`,
      });
      expect((await checkAs('SELECT missing_fn($1)')).failures[0]!.schemaWithoutUsage).toBeUndefined();
    });

    it('a type named without its schema, in a schema without USAGE (42704): the same, for the type', async () => {
      await withClient(url, (c) => c.query("CREATE TYPE public.lead_state AS ENUM ('new', 'won')"));
      const r = await checkAs('SELECT $1::lead_state');
      expect(r.failures[0]).toMatchObject({
        sqlstate: '42704',
        schemaWithoutUsage: 'public',
        fix: `GRANT USAGE ON SCHEMA public TO ${role};  -- as the schema's owner or the master user`,
        reason: `type "lead_state" does not exist (42704): the type public.lead_state exists, but role ${role} has no USAGE on schema public, so PostgreSQL leaves that schema out of its search_path`,
      });
      expect((await checkAs('SELECT $1::no_such_type')).failures[0]!.schemaWithoutUsage).toBeUndefined();
    });

    // parse_ident raised on the quoted name with a comma ("string is not a valid identifier"), and the check with it.
    it('a search_path with a quoted name holding a comma and a bare one in capitals: the schema is still found', async () => {
      await withClient(url, (c) => c.query(`ALTER ROLE ${role} SET search_path = "a,b", "$user", PUBLIC`));
      try {
        expect((await checkAs('SELECT price FROM lead_purchases WHERE id = $1')).failures[0]!.schemaWithoutUsage).toBe('public');
      } finally {
        await withClient(url, (c) => c.query(`ALTER ROLE ${role} RESET search_path`));
      }
    });

    // Regression: the search_path was split at every comma, quotes or not: a schema "a,b" was never found, and "x, hidden ,y" was read as holding hidden.
    it('a search_path with a quoted name holding commas and spaces: that schema is found, and no schema is read out of its name', async () => {
      await withClient(url, (c) => c.query(`CREATE SCHEMA "a,b"; CREATE TABLE "a,b".comma_t (id int); GRANT SELECT ON "a,b".comma_t TO ${role}`));
      try {
        await withClient(url, (c) => c.query(`ALTER ROLE ${role} SET search_path = "x, hidden ,y", "a,b", "$user"`));
        const inQuoted = await checkAs('SELECT id FROM comma_t');
        const notInPath = await checkAs('SELECT id FROM h');
        expect(inQuoted.failures[0]).toMatchObject({
          sqlstate: '42P01',
          schemaWithoutUsage: 'a,b',
          fix: `GRANT USAGE ON SCHEMA "a,b" TO ${role};  -- as the schema's owner or the master user`,
        });
        expect(notInPath.failures[0]).toMatchObject({ sqlstate: '42P01', reason: 'relation "h" does not exist (42P01)' });
        expect(notInPath.failures[0]!.schemaWithoutUsage).toBeUndefined();
      } finally {
        await withClient(url, (c) => c.query(`ALTER ROLE ${role} RESET search_path; DROP SCHEMA "a,b" CASCADE`));
      }
    });

    it('a table no schema of the search_path holds is still a missing table (42P01, the migration fix)', async () => {
      const r = await checkAs('SELECT * FROM web_sessions');
      expect(r.failures[0]).toMatchObject({
        sqlstate: '42P01',
        reason: 'relation "web_sessions" does not exist (42P01)',
        fix: 'a migration must create the table, or the statement names the wrong one',
      });
      expect(r.failures[0]!.schemaWithoutUsage).toBeUndefined();
    });

    it('through the Data API, which ends the transaction at the failed PREPARE: the same failures', async () => {
      const contracts = await Promise.all(
        ['SELECT price FROM lead_purchases WHERE id = $1', 'SELECT id FROM hidden.h', 'SELECT * FROM web_sessions'].map((text, k) =>
          parseContract(`${k}.sql`, text),
        ),
      );
      const roleUrl = new URL(url);
      roleUrl.username = role;
      roleUrl.password = password;
      const viaDataApi = await checkContracts({ driver: makeDataApiDriver(roleUrl.toString()), contracts });
      expect(viaDataApi.results.map((r) => r.failures[0]!.schemaWithoutUsage)).toEqual(['public', 'hidden', undefined]);
      expect(viaDataApi).toEqual(await checkContracts({ driver: roleDriver, contracts }));
      expect(standinFor(roleUrl.toString()).openTransactions).toBe(0);
    });

    it('a table named with its schema (permission denied for schema, 42501): the same GRANT USAGE', async () => {
      const r = await checkAs('SELECT id FROM hidden.h');
      expect(r.failures[0]).toMatchObject({
        sqlstate: '42501',
        reason: 'permission denied for schema hidden (42501)',
        schemaWithoutUsage: 'hidden',
        fix: `GRANT USAGE ON SCHEMA hidden TO ${role};  -- as the schema's owner or the master user`,
      });
    });
  });

  it('writes nothing and leaves no prepared statement or open transaction behind', async () => {
    const before = await catalogFingerprint(url);
    const session = await driver.connect();
    try {
      const contracts = [
        await parseContract('a.sql', 'INSERT INTO lead_purchases (id, lead_id) VALUES (gen_random_uuid(), gen_random_uuid())'),
        await parseContract('b.sql', 'DELETE FROM student_course_purchases WHERE id = $1'),
        await parseContract('c.sql', 'SELECT missing()'),
      ];
      const report = await checkContracts({ session, contracts });
      expect(report).toMatchObject({ passed: 2, failed: 1 });
      expect((await session.query('SELECT name FROM pg_prepared_statements')).rows).toEqual([]);
      expect((await session.query<{ s: string }>("SELECT current_setting('transaction_read_only') AS s")).rows[0]!.s).toBe('off');
    } finally {
      await session.close();
    }
    expect(await catalogFingerprint(url)).toBe(before);
    await withClient(url, async (c) => expect((await c.query('SELECT count(*)::int AS n FROM lead_purchases')).rows).toEqual([{ n: 0 }]));
  });

  it('through the Data API, which ends a transaction when a statement fails: every result as over a connection', async () => {
    const contracts = await Promise.all(
      [
        'INSERT INTO student_course_purchases (student_id, course_id) VALUES ($1, $2) ON CONFLICT (student_id, course_id) DO UPDATE SET updated_at = now()',
        'INSERT INTO lead_purchases (id, lead_id) VALUES ($1, $2) ON CONFLICT (lead_id) DO NOTHING',
        'SELECT buyer_id FROM lead_purchases WHERE id = $1',
        'INSERT INTO student_course_purchases (student_id, course_id) VALUES ($1, $2) ON CONFLICT (student_id, course_id) WHERE is_active = true DO NOTHING',
        'INSERT INTO lead_purchases (lead_id, price) VALUES ($1, $2)',
      ].map((text, k) => parseContract(`${k}.sql`, text)),
    );
    const dataApi = makeDataApiDriver(url);

    const report = await checkContracts({ driver: dataApi, contracts });

    expect(report.results.map((r) => r.failures.map((f) => `${f.stage} ${f.sqlstate}`))).toEqual([
      ['plan 42P10'],
      ['plan 42P10'],
      ['prepare 42703'],
      [],
      ['insert 23502'],
    ]);
    expect(report).toEqual(await checkContracts({ driver, contracts }));
    expect(standinFor(url).openTransactions).toBe(0);
  });

  it('assertContracts throws ContractFailedError naming the file, line, statement and reason', async () => {
    const report = await checkContracts({
      driver,
      contracts: [
        await parseContract('ok.sql', 'SELECT 1'),
        await parseContract('lead_purchase_insert.sql', '-- buy a lead\nINSERT INTO lead_purchases (lead_id) VALUES ($1)'),
      ],
    });
    let error: unknown;
    try {
      assertContracts(report);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ContractFailedError);
    const e = error as ContractFailedError;
    expect(e.exitCode).toBe(1);
    expect(e.message).toBe(
      'contract lead_purchase_insert.sql:2 (lead_purchase_insert) failed: lead_purchases.id is NOT NULL, has no DEFAULT, and the statement does not set it',
    );
    expect(e.statement).toBe('INSERT INTO lead_purchases (lead_id) VALUES ($1)');
    expect(e.toJSON()).toMatchObject({ error: 'ContractFailedError', failedContracts: [{ file: 'lead_purchase_insert.sql', reasons: [expect.any(String)] }] });
  });
});

describe.each(targets)('contracts/ of this repository on $name', (target) => {
  it('all pass on a database migrated with migrations/ and fail on an empty one', async () => {
    const contracts = await loadContracts(CONTRACTS_DIR);
    const migrated = await freshDatabase(target, 'repo_contracts');
    await runFixes(migrated);
    const empty = await freshDatabase(target, 'repo_contracts_empty');
    const d1 = new PgDriver({ connectionString: migrated });
    const d2 = new PgDriver({ connectionString: empty });
    try {
      const ok = await checkContracts({ driver: d1, contracts });
      expect(ok.results.filter((r) => !r.ok).map((r) => `${r.file}: ${r.failures.map((f) => f.reason).join('; ')}`)).toEqual([]);
      expect(ok.results.length).toBe(contracts.length);
      const bad = await checkContracts({ driver: d2, contracts });
      expect(bad.failed).toBe(contracts.length);
    } finally {
      await d1.end();
      await d2.end();
    }
  });
});

describe.each(targets)('checkContracts through the Data API, thousands of domains, on $name', (target) => {
  // Regression: the INSERT checks read every domain of the database in one query, past the 1 MiB response.
  it('reads the domains in pages, and reports what a connection reports (one query was "Database response exceeded size limit")', async () => {
    // Prepare: the contracts' schema and 7,000 domains with long names: about 1.3 MB through the Data API in one query.
    const url = await freshDatabase(target, 'contracts_domains');
    await withClient(url, (c) =>
      c.query(`${SCHEMA}
      DO $d$ BEGIN
        FOR t IN 1..7000 LOOP
          EXECUTE format('CREATE DOMAIN a_domain_with_a_long_name_to_fill_a_response_%s AS text NOT NULL', t);
        END LOOP;
      END $d$;`),
    );
    const contracts = await Promise.all(
      ['INSERT INTO events (kind) VALUES ($1)', "INSERT INTO events (kind, note) VALUES ($1, 'x')"].map((text, k) => parseContract(`${k}.sql`, text)),
    );
    const overConnection = new PgDriver({ connectionString: url });
    const dataApi = makeDataApiDriver(url);
    const session = await dataApi.connect();

    try {
      // Act
      const report = await checkContracts({ driver: dataApi, contracts });
      const whole = await session
        .query(
          "SELECT oid::int AS oid, typbasetype::int AS base, typdefault IS NOT NULL OR typdefaultbin IS NOT NULL AS has_default, typnotnull AS not_null, format_type(oid, NULL) AS name FROM pg_type WHERE typtype = 'd'",
        )
        .then(
          () => 'read whole',
          (e: unknown) => (e as { code?: string }).code,
        );

      // Assess
      expect(whole).toBe('54000');
      expect(report.results.map((r) => r.failures.map((f) => `${f.stage} ${f.sqlstate}`))).toEqual([['insert 23502'], []]);
      expect(report).toEqual(await checkContracts({ driver: overConnection, contracts }));
      expect(standinFor(url).calls.filter((c) => c.sql?.startsWith('FETCH FORWARD')).length).toBeGreaterThan(2);
    } finally {
      await session.close();
      await overConnection.end();
    }
  }, 120_000);
});
