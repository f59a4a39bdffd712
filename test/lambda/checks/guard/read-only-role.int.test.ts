/**
 * The guard from a least-privilege role, created here with exactly the GRANTs
 * the guard guide (docs/guide/guard.md, "The role to grant") lists: it runs, finds a hand edit, writes
 * nothing (the catalog fingerprint is unchanged), and the role's default is
 * read-only. Without the grants the run is an error that names the fix.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writesData } from '../../../../lambda/checks/contracts/contract-planner';
import { loadContracts, type Contract } from '../../../../lambda/checks/contracts';
import { plannerRoleName } from '../../../../lambda/handler/guard/planner-sql';
import { ensureGuardRole } from '../../../../lambda/handler/guard/role-sql';
import { scramSha256Verifier } from '../../../../lambda/handler/guard/scram';
import type { Snapshot } from '../../../../lambda/checks/drift/drift';
import { runGuard, type GuardReport } from '../../../../lambda/checks/guard';
import { LeaseLock } from '../../../../lambda/driver/data-api/lease-lock';
import { leaseDdl } from '../../../../lambda/driver/data-api/lease-table';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { ROOT } from '../../../support/cli';
import { dropDatabases, freshDatabase, versionPair, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { DataApiStandin } from '../../../support/data-api-standin';
import { makeDataApiDriver } from '../../../support/drivers';
import { CONTRACTS_DIR, MIGRATIONS_DIR, runFixes } from '../../../support/schema-fixes';

const snapshot = JSON.parse(readFileSync(join(ROOT, 'lambda', 'schema', 'snapshot.json'), 'utf8')) as Snapshot;
let contracts: Contract[];
beforeAll(async () => {
  contracts = await loadContracts(CONTRACTS_DIR);
});

/**
 * The guard guide, "The role to grant": its SQL block as written, for this role,
 * database and password (`migrator`, the role that runs migrate, is the
 * admin user here).
 */
function guideGrants(role: string, database: string, password: string, migrator: string): string[] {
  const guide = readFileSync(join(ROOT, 'docs', 'guide', 'guard.md'), 'utf8');
  const block = /```sql\n(CREATE ROLE schemaguard_guard [^`]*)```/.exec(guide.slice(guide.indexOf('## The role to grant')))![1]!;
  return block
    .split(';\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) =>
      s
        .replace(/\bschemaguard_guard\b/g, role)
        .replace(/\bDATABASE app\b/, `DATABASE ${database}`)
        .replace(/\bFOR ROLE migrator\b/, `FOR ROLE ${migrator}`)
        .replace("'change-me'", `'${password}'`),
    );
}

/** The guard role and its contract planner, as the deploy's guard-role resource makes them, with the shipped writing contracts. */
async function deployPlanner(url: string, deployRole: string): Promise<void> {
  const driver = new PgDriver({ connectionString: url });
  const session = await driver.connect();
  try {
    const writing = contracts.filter((c) => writesData(c.tree)).map((c) => ({ name: c.name, statement: c.statement }));
    await ensureGuardRole(session, {
      roleName: deployRole,
      verifier: scramSha256Verifier(randomBytes(12).toString('hex')),
      stateSchema: 'schemaguard',
      contracts: writing,
    });
  } finally {
    await session.close();
    await driver.end();
  }
}

function roleUrl(url: string, role: string, password: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

async function guardAs(url: string, through: 'pg' | 'data-api' = 'pg'): Promise<GuardReport> {
  const standin = through === 'data-api' ? new DataApiStandin(url) : undefined;
  const driver = standin ? makeDataApiDriver(url, standin) : new PgDriver({ connectionString: url });
  try {
    return await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts, snapshot });
  } finally {
    await driver.end();
    await standin?.close();
  }
}

const roles: { adminUrl: string; url: string; role: string }[] = [];
afterAll(async () => {
  for (const { adminUrl, url, role } of roles) {
    await withClient(url, (c) => c.query(`DROP OWNED BY ${role}`)).catch(() => undefined);
    await withClient(adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${role}`)).catch(() => undefined);
  }
  await dropDatabases();
});

describe.each(versionPair)('Function: runGuard as a least-privilege, read-only role on $name', (target) => {
  const password = randomBytes(12).toString('hex');
  const role = `sg_guard_${randomBytes(4).toString('hex')}`;
  const deployRole = `${role}_deployed`;
  let url: string;
  let guardUrl: string;

  beforeAll(async () => {
    url = await freshDatabase(target, 'guard_role');
    await runFixes(url);
    roles.push(
      { adminUrl: target.adminUrl, url, role },
      { adminUrl: target.adminUrl, url, role: deployRole },
      { adminUrl: target.adminUrl, url, role: plannerRoleName(deployRole) },
    );
    const database = new URL(url).pathname.slice(1);
    // A SchemaGuard deploy made the contract planner (the guide's role is granted EXECUTE on it).
    await deployPlanner(url, deployRole);
    const statements = guideGrants(role, database, password, new URL(url).username);
    expect(statements).toHaveLength(12);
    await withClient(url, async (c) => {
      for (const statement of statements) await c.query(statement);
    });
    guardUrl = roleUrl(url, role, password);
  });

  it('the role starts every transaction read-only: a write is refused (25006)', async () => {
    await expect(withClient(guardUrl, (c) => c.query("INSERT INTO all_leads (name) VALUES ('x')"))).rejects.toMatchObject({ code: '25006' });
  });

  it('runs clean, and writes nothing: the catalog fingerprint is unchanged', async () => {
    const before = await catalogFingerprint(url);
    const r = await guardAs(guardUrl);
    expect(r.findings).toEqual([]);
    expect(r.outcome).toBe('clean');
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it('finds a hand edit as that role, and still writes nothing', async () => {
    await withClient(url, (c) => c.query('ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL'));
    try {
      const before = await catalogFingerprint(url);
      const r = await guardAs(guardUrl);
      expect(r.page).toBe(true);
      expect(r.findings.map((f) => `${f.severity} ${f.rule} ${f.object}`)).toEqual([
        'page schema-drift public.web_sessions.lead_id',
        'page contract-insert web_session_insert.sql',
      ]);
      expect(await catalogFingerprint(url)).toBe(before);
    } finally {
      await withClient(url, (c) => c.query('ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL'));
    }
  });

  it('tables created after the grants, by the role that migrates, are covered: a lease taken later makes the run skip', async () => {
    await withClient(url, (c) => c.query('CREATE TABLE public.later_table (id int)'));
    await expect(withClient(guardUrl, (c) => c.query('SELECT count(*) FROM later_table'))).resolves.toBeDefined();
    const driver = new PgDriver({ connectionString: url });
    const lease = new LeaseLock(driver, { stateSchema: 'schemaguard', owner: 'deploy 7' });
    try {
      await lease.acquire(0);
      const r = await guardAs(guardUrl);
      expect(r.outcome).toBe('skipped');
      expect(r.skippedReason).toMatch(/^a migration is running: deploy 7 holds the runner lease/);
    } finally {
      await lease.release();
      await driver.end();
      await withClient(url, (c) => c.query('DROP TABLE public.later_table'));
    }
  });

  // Regression (tester): one missing grant on a contract's table stopped the run ("the guard cannot check contract …"), and the drift found was lost.
  it('without EXECUTE on the contract planner: drift is still reported, and one ticket per writing contract names it, the table and what lets the planner plan it (never a write to the guard); not a failing contract', async () => {
    const planner = 'schemaguard.plan_contract(text, text)';
    await withClient(url, (c) => c.query(`REVOKE EXECUTE ON FUNCTION ${planner} FROM ${role}; ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL`));
    try {
      const r = await guardAs(guardUrl);
      const tickets = r.findings.filter((f) => f.rule === 'contract-unchecked');
      expect(r.findings[0]).toMatchObject({ severity: 'page', rule: 'schema-drift', object: 'public.web_sessions.lead_id' });
      expect(r.findings.filter((f) => f.kind === 'contract')).toEqual([]);
      expect(tickets.map((t) => t.object.replace(/: .*/, ''))).toEqual(contracts.filter((c) => writesData(c.tree)).map((c) => c.file));
      for (const t of tickets) {
        expect(t.severity).toBe('ticket');
        expect(t.message).toMatch(
          /^the guard cannot check contract \w+ \(\w+\.sql:\d+\): permission denied for table \w+ \(42501\): its role may not use public\.\w+; the contract was not checked, every other check ran$/,
        );
        expect(t.fix).not.toMatch(/GRANT[^;]*\b(INSERT|UPDATE|DELETE)\b/);
        expect(t.fix).toMatch(
          new RegExp(
            `this role may not call it: GRANT USAGE ON SCHEMA schemaguard TO ${role}; GRANT EXECUTE ON FUNCTION schemaguard\\.plan_contract\\(text, text\\) TO ${role}; \\(docs guide/guard-role#the-contract-planner\\)$`,
          ),
        );
      }
      await withClient(url, (c) => c.query(`GRANT EXECUTE ON FUNCTION ${planner} TO ${role}`));
      expect((await guardAs(guardUrl)).findings.map((f) => f.rule)).toEqual(['schema-drift', 'contract-insert']);
    } finally {
      await withClient(url, (c) => c.query(`GRANT EXECUTE ON FUNCTION ${planner} TO ${role}; ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL`));
    }
  });

  it('a contract on a table of another schema the role may not read: the ticket names it schema-qualified and the SELECT to grant', async () => {
    await withClient(url, (c) => c.query(`CREATE SCHEMA s5; CREATE TABLE s5.t5 (id int); GRANT USAGE ON SCHEMA s5 TO ${role}`));
    const driver = new PgDriver({ connectionString: guardUrl });
    try {
      const t5 = await loadContracts(tempDir({ 't5_select.sql': 'SELECT id FROM s5.t5 WHERE id = $1;\n' }));
      const r = await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts: [...contracts, ...t5], snapshot });
      expect(r.findings.map((f) => `${f.severity} ${f.rule} ${f.object}`)).toContain('ticket contract-unchecked t5_select.sql: s5.t5');
      expect(r.findings.find((f) => f.rule === 'contract-unchecked')!.fix).toBe(
        `GRANT SELECT ON s5.t5 TO ${role};  -- as the master user (docs guide/guard#the-role-to-grant)`,
      );
    } finally {
      await driver.end();
      await withClient(url, (c) => c.query('DROP SCHEMA s5 CASCADE'));
    }
  });

  // Regression: the GRANT's table was resolved with to_regclass of the first schema-qualified name in the statement: one in a schema without USAGE (here in a comment) raised 42501 and ended the pass.
  it('a contract without a table privilege that also names a schema without USAGE (a comment): the pass goes on, and the ticket gives the GRANT', async () => {
    await withClient(url, (c) => c.query(`CREATE SCHEMA s5; CREATE TABLE s5.t5 (id int); GRANT USAGE ON SCHEMA s5 TO ${role}; CREATE SCHEMA hidden5`));
    const driver = new PgDriver({ connectionString: guardUrl });
    try {
      const t5 = await loadContracts(tempDir({ 't5_select.sql': 'SELECT /* was hidden5.t5 */ id FROM s5.t5 WHERE id = $1;\n' }));
      const r = await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts: [...contracts, ...t5], snapshot });
      const ticket = r.findings.find((f) => f.rule === 'contract-unchecked')!;
      expect(ticket.message).toMatch(/^the guard cannot check contract t5_select \(t5_select\.sql:1\): permission denied for table t5 \(42501\)/);
      expect(ticket.fix).toBe(`GRANT SELECT ON s5.t5 TO ${role};  -- as the master user (docs guide/guard#the-role-to-grant)`);
    } finally {
      await driver.end();
      await withClient(url, (c) => c.query('DROP SCHEMA s5 CASCADE; DROP SCHEMA hidden5'));
    }
  });

  // Regression: without USAGE on public (hardened setups revoke it), every contract read "relation … does not exist" and paged as a failing contract.
  it('without USAGE on schema public: each contract is a contract-unchecked ticket with the GRANT USAGE, never a missing table that pages; drift is still reported', async () => {
    await withClient(url, (c) => c.query(`REVOKE USAGE ON SCHEMA public FROM ${role}, PUBLIC; ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL`));
    try {
      const r = await guardAs(guardUrl);
      expect(r.findings[0]).toMatchObject({ severity: 'page', rule: 'schema-drift', object: 'public.web_sessions.lead_id' });
      expect(r.findings.filter((f) => f.kind === 'contract')).toEqual([]);
      const tickets = r.findings.filter((f) => f.rule === 'contract-unchecked');
      // The writing contracts are planned by the planner, with USAGE of its own: only the one the role plans itself is unchecked.
      expect(tickets.map((t) => t.object)).toEqual(contracts.filter((c) => !writesData(c.tree)).map((c) => `${c.file}: schema public`));
      for (const t of tickets) {
        expect(t.severity).toBe('ticket');
        expect(t.message).toMatch(
          new RegExp(
            `^the guard cannot check contract \\w+ \\(\\w+\\.sql:\\d+\\): (relation "\\w+" does not exist \\(42P01\\): the table|function \\w+\\([\\w, ]*\\) does not exist \\(42883\\): the function) public\\.\\w+ exists, but role ${role} has no USAGE on schema public, so PostgreSQL leaves that schema out of its search_path: its role may not use schema public; `,
          ),
        );
        expect(t.fix).toBe(`GRANT USAGE ON SCHEMA public TO ${role};  -- as the master user (docs guide/guard#the-role-to-grant)`);
      }
      await withClient(url, (c) => c.query(tickets[0]!.fix.replace(/ {2}--.*$/, '')));
      expect((await guardAs(guardUrl)).findings.map((f) => f.rule)).toEqual(['schema-drift', 'contract-insert']);
    } finally {
      await withClient(url, (c) => c.query(`GRANT USAGE ON SCHEMA public TO ${role}, PUBLIC; ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL`));
    }
  });

  // Regression: an upsert contract on a schema the role had no USAGE on, with an INVALID index present, ended the pass (to_regclass: permission denied for schema s6).
  it('an upsert on a table of a schema without USAGE while an INVALID index exists: the pass goes on; its ticket, the INVALID index backing it and the drift are reported', async () => {
    await withClient(url, async (c) => {
      await c.query(
        'CREATE SCHEMA s6; CREATE TABLE s6.t6 (id int); INSERT INTO s6.t6 VALUES (1), (1); ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL',
      );
      await expect(c.query('CREATE UNIQUE INDEX CONCURRENTLY t6_id_key ON s6.t6 (id)')).rejects.toMatchObject({ code: '23505' });
    });
    const driver = new PgDriver({ connectionString: guardUrl });
    try {
      const t6 = await loadContracts(tempDir({ 't6_upsert.sql': 'INSERT INTO s6.t6 (id) VALUES ($1) ON CONFLICT (id) DO NOTHING;\n' }));
      const r = await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts: [...contracts, ...t6], snapshot });
      const found = r.findings.map((f) => `${f.severity} ${f.rule} ${f.object}`);
      expect(found).toContain('page schema-drift public.web_sessions.lead_id');
      expect(found).toContain('ticket contract-unchecked t6_upsert.sql: schema s6');
      expect(found).toContain('page invalid-index s6.t6_id_key');
      expect(r.findings.find((f) => f.rule === 'contract-unchecked')!.fix).toBe(
        `GRANT USAGE ON SCHEMA s6 TO ${role}; GRANT SELECT ON s6.t6 TO ${role};  -- as the master user (docs guide/guard#the-role-to-grant); ` +
          "the INSERT it also needs is never granted to the guard's role (a session of it could write): the deploy's contract planner plans writing contracts; it plans the text the deploy shipped, so deploy this version of the contract, or check it with schemaguard check as the migrating role (docs guide/guard-role#the-contract-planner)",
      );
      expect(r.findings.find((f) => f.rule === 'invalid-index')!.message).toMatch(/, and it backs contract t6_upsert \(its ON CONFLICT arbiter\)$/);
    } finally {
      await driver.end();
      await withClient(url, (c) => c.query('DROP SCHEMA s6 CASCADE; ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL'));
    }
  });

  // Regression (tester): an upsert's ticket said GRANT INSERT, SELECT; after running it the next run printed the same ticket and GRANT (DO UPDATE needs UPDATE).
  it('an upsert (ON CONFLICT DO UPDATE) on a table the role may not use, not deployed: the ticket grants exactly the reads missing, names both writes it never grants, and running it leaves only those', async () => {
    await withClient(url, (c) => c.query('CREATE SCHEMA probe; CREATE TABLE probe.t (id int PRIMARY KEY, v text)'));
    const driver = new PgDriver({ connectionString: guardUrl });
    const upsert = await loadContracts(
      tempDir({ 'probe_upsert.sql': 'INSERT INTO probe.t (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = EXCLUDED.v;\n' }),
    );
    const tickets = async () =>
      (await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts: [...contracts, ...upsert], snapshot })).findings.filter(
        (f) => f.rule === 'contract-unchecked',
      );
    const grant = (t: { fix: string }) => t.fix.replace(/ {2}--.*$/, '');
    const writes = "the INSERT, UPDATE it also needs is never granted to the guard's role (a session of it could write)";
    try {
      // No USAGE on the schema: USAGE and the table's SELECT in the one ticket; the writes named, not granted.
      const first = await tickets();
      expect(first.map((t) => grant(t))).toEqual([`GRANT USAGE ON SCHEMA probe TO ${role}; GRANT SELECT ON probe.t TO ${role};`]);
      expect(first[0]!.fix).toContain(writes);
      await withClient(url, (c) => c.query(grant(first[0]!)));
      const second = await tickets();
      expect(second.map((t) => t.fix.startsWith(writes))).toEqual([true]);
    } finally {
      await driver.end();
      await withClient(url, (c) => c.query('DROP SCHEMA probe CASCADE'));
    }
  });

  // Regression: with nothing missing the ticket printed a GRANT to the guard's role again, which never cleared it (here the view's owner lacks SELECT on its table).
  it("a contract refused for a privilege the guard's role already has (a view whose owner may not read its table): the ticket says the owner needs it, no GRANT that changes nothing", async () => {
    const owner = `${role}_view_owner`;
    await withClient(url, (c) =>
      c.query(`CREATE SCHEMA pv; CREATE ROLE ${owner}; CREATE TABLE pv.base (id int); CREATE VIEW pv.v AS SELECT id FROM pv.base;
      ALTER VIEW pv.v OWNER TO ${owner}; GRANT USAGE ON SCHEMA pv TO ${role}, ${owner}; GRANT SELECT ON pv.v, pv.base TO ${role}`),
    );
    const driver = new PgDriver({ connectionString: guardUrl });
    try {
      const viewContract = await loadContracts(tempDir({ 'pv_select.sql': 'SELECT id FROM pv.v WHERE id = $1;\n' }));
      const r = await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts: [...contracts, ...viewContract], snapshot });
      const ticket = r.findings.find((f) => f.rule === 'contract-unchecked')!;
      expect(ticket.message).toContain('permission denied for table base');
      expect(ticket.fix).toBe(
        'the statement does not name base and the search path does not find it: a view or function the statement uses reads it, and its owner needs the privilege (GRANT … ON the table TO that owner)',
      );
      await withClient(url, (c) => c.query(`GRANT SELECT ON pv.base TO ${owner}`));
      expect(
        (await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts: [...contracts, ...viewContract], snapshot })).findings.map(
          (f) => f.rule,
        ),
      ).toEqual(['schema-addition']); // pv itself
    } finally {
      await driver.end();
      await withClient(url, (c) => c.query(`DROP SCHEMA pv CASCADE; DROP OWNED BY ${owner}; DROP ROLE ${owner}`));
    }
  });

  // Regression (tester): GRANT … ON ALL TABLES does not cover sequences: with the guide's role sequence-behind never ran, silently.
  it('sequence-behind runs as the role (its sequences are granted, later ones by default); a sequence it may not read is one note with the GRANT', async () => {
    await withClient(url, (c) => c.query('CREATE TABLE public.loaded (id serial PRIMARY KEY); INSERT INTO public.loaded (id) VALUES (1), (2)'));
    try {
      const r = await guardAs(guardUrl);
      expect(r.findings.filter((f) => f.rule === 'sequence-behind').map((f) => `${f.severity} ${f.object}`)).toEqual(['ticket public.loaded.id']);
      expect(r.notes ?? []).toEqual([]);

      await withClient(url, (c) => c.query(`REVOKE SELECT ON public.loaded_id_seq FROM ${role}`));
      const hidden = await guardAs(guardUrl);
      expect(hidden.findings.filter((f) => f.rule === 'sequence-behind')).toEqual([]);
      expect(hidden.notes).toEqual([
        `sequence-behind: role ${role} may not read 1 key sequence (public.loaded_id_seq), so their columns were not checked (GRANT … ON ALL TABLES does not cover sequences): GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};  -- and ALTER DEFAULT PRIVILEGES … GRANT SELECT ON SEQUENCES TO ${role} for new ones (docs guide/guard#the-role-to-grant)`,
      ]);
      await withClient(url, (c) => c.query(hidden.notes![0]!.replace(/^.*: (GRANT [^;]*;).*$/, '$1')));
      expect((await guardAs(guardUrl)).findings.filter((f) => f.rule === 'sequence-behind').map((f) => f.object)).toEqual(['public.loaded.id']);
    } finally {
      await withClient(url, (c) => c.query('DROP TABLE public.loaded'));
    }
  });

  // Regression: a key table in a schema the role had no USAGE on failed its whole batch (permission denied for schema), the note said "the next run tries again", and the other keys of the batch went unchecked.
  it('sequence-behind with a key table in a schema without USAGE: the other keys are still checked, and one note gives the GRANT USAGE', async () => {
    await withClient(url, (c) =>
      c.query(`CREATE TABLE public.loaded (id serial PRIMARY KEY); INSERT INTO public.loaded (id) VALUES (1), (2);
      CREATE SCHEMA s7; CREATE TABLE s7.loaded7 (id serial PRIMARY KEY); INSERT INTO s7.loaded7 (id) VALUES (1), (2); GRANT SELECT ON s7.loaded7, s7.loaded7_id_seq TO ${role}`),
    );
    try {
      const r = await guardAs(guardUrl);
      expect(r.findings.filter((f) => f.rule === 'sequence-behind').map((f) => f.object)).toEqual(['public.loaded.id']);
      expect(r.notes).toEqual([
        `sequence-behind: role ${role} has no USAGE on schema s7, so 1 key column was not checked (s7.loaded7.id): GRANT USAGE ON SCHEMA s7 TO ${role};  -- as the master user (docs guide/guard#the-role-to-grant)`,
      ]);
      await withClient(url, (c) => c.query(r.notes![0]!.replace(/^.*: (GRANT [^;]*;).*$/, '$1')));
      expect((await guardAs(guardUrl)).findings.filter((f) => f.rule === 'sequence-behind').map((f) => f.object)).toEqual([
        'public.loaded.id',
        's7.loaded7.id',
      ]);
    } finally {
      await withClient(url, (c) => c.query('DROP TABLE public.loaded; DROP SCHEMA s7 CASCADE'));
    }
  });

  // Regression (tester): the lock-timeout error showed the holder's query as <insufficient privilege> to the documented role.
  // Regression (security review): to a role that could read it, the error showed 200 characters of the holder's query.
  it('a lock held past the lock timeout: the error names the holder by pid, user and application, never by its query', async () => {
    await withClient(url, async (holder) => {
      const pid = (await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      await holder.query('BEGIN; LOCK TABLE lead_purchases IN ACCESS EXCLUSIVE MODE');
      const driver = new PgDriver({ connectionString: guardUrl });
      try {
        const error = await runGuard({ driver, migrations: loadMigrations(MIGRATIONS_DIR), contracts, snapshot, lockTimeoutMs: 100 }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toMatchObject({ sqlstate: '55P03' });
        expect((error as Error).message).toMatch(
          new RegExp(`; pid ${pid} holds ACCESS EXCLUSIVE on lead_purchases \\(user postgres, app "schemaguard-test"[^;]*\\)$`),
        );
        expect((error as Error).message).not.toContain('<insufficient privilege>');
        expect((error as Error).message).not.toContain('LOCK TABLE');
      } finally {
        await driver.end();
        await holder.query('ROLLBACK');
      }
    });
  });

  // Regression (tester): a database-level idle_in_transaction_session_timeout of 300 ms ended the guard's session mid-pass (25P03).
  // Here 100 ms, and 150 ms idle before each statement: the same gap, in less of the suite's time.
  it('a database idle_in_transaction_session_timeout shorter than the pass idles between statements: the role raises it for its transactions, and the run is clean', async () => {
    const database = new URL(url).pathname.slice(1);
    await withClient(url, (c) => c.query(`ALTER DATABASE "${database}" SET idle_in_transaction_session_timeout = '100ms'`));
    const driver = new PgDriver({ connectionString: guardUrl });
    const session = await driver.connect();
    try {
      // The function working on what it read between two statements of the pass: 150 ms idle in transaction each time.
      const slow = new Proxy(session, {
        get(target, key) {
          const value = Reflect.get(target, key, target) as unknown;
          if (key !== 'query') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          return async (text: string, params?: unknown[]) => {
            if (!/^\s*SET\b/i.test(text)) await new Promise((r) => setTimeout(r, 150));
            return target.query(text, params);
          };
        },
      });
      const r = await runGuard({ session: slow, migrations: loadMigrations(MIGRATIONS_DIR), contracts: contracts.slice(0, 2), snapshot });
      expect(r.outcome).toBe('clean');
      expect(session.broken).toBe(false);
    } finally {
      await session.close();
      await driver.end();
      await withClient(url, (c) => c.query(`ALTER DATABASE "${database}" RESET idle_in_transaction_session_timeout`));
    }
  });

  // Regression (review): a runner_lease the role may not read ended the pass ("cannot tell whether a migration is running"), drift unreported.
  it('without SELECT on runner_lease: the runner lock is still looked for, drift is still checked, and one ticket gives the GRANT', async () => {
    await withClient(url, (c) =>
      c.query(
        `${leaseDdl('schemaguard').join(';\n')}; REVOKE SELECT ON schemaguard.runner_lease FROM ${role}; ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL`,
      ),
    );
    try {
      const r = await guardAs(guardUrl);
      expect(r.findings.map((f) => `${f.severity} ${f.rule} ${f.object}`)).toEqual([
        'page schema-drift public.web_sessions.lead_id',
        'page contract-insert web_session_insert.sql',
        'ticket state-unreadable schemaguard.runner_lease',
      ]);
      expect(r.findings[2]!.message).toMatch(/\(no SELECT on schemaguard\.runner_lease\): a migration run through the RDS Data API .* is not seen/);
      await withClient(url, (c) => c.query(r.findings[2]!.fix.replace(/ {2}--.*$/, '')));
      expect((await guardAs(guardUrl)).findings.map((f) => f.rule)).toEqual(['schema-drift', 'contract-insert']);
    } finally {
      await withClient(url, (c) => c.query('DROP TABLE schemaguard.runner_lease; ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL'));
    }
  });

  // Regression (review): one grant missing on the state schema ended the pass (42501), and every drift finding went unreported with it.
  it('without USAGE on the state schema, or SELECT on applied_migrations: drift and doctor are still checked, and one ticket names the table, the privilege and the GRANT that gives it', async () => {
    await withClient(url, (c) => c.query(`REVOKE USAGE ON SCHEMA schemaguard FROM ${role}; ALTER TABLE web_sessions ALTER COLUMN lead_id SET NOT NULL`));
    try {
      const r = await guardAs(guardUrl);
      // The contract planner is in the state schema too: without USAGE there, each writing contract is a ticket that says so.
      const writing = contracts.filter((c) => writesData(c.tree));
      expect(r.findings.map((f) => `${f.severity} ${f.rule} ${f.object.replace(/\.sql: .*/, '.sql')}`)).toEqual([
        'page schema-drift public.web_sessions.lead_id',
        ...writing.map((c) => `ticket contract-unchecked ${c.file}`),
        'ticket state-unreadable schemaguard.applied_migrations',
      ]);
      for (const f of r.findings.filter((x) => x.rule === 'contract-unchecked'))
        expect(f.fix).toContain(`this role may not call it: GRANT USAGE ON SCHEMA schemaguard TO ${role};`);
      const ticket = r.findings.find((f) => f.rule === 'state-unreadable')!;
      expect(ticket.message).toBe(
        `role ${role} may not read schemaguard.applied_migrations (no USAGE on schema schemaguard): migrations pending, changed or unknown were not compared, and drift is rated as if the database were at the snapshot's migrations; every other check ran`,
      );
      expect(ticket.fix).toMatch(new RegExp(`^GRANT USAGE ON SCHEMA schemaguard TO ${role};  -- `));
      await withClient(url, (c) => c.query(`${ticket.fix.replace(/ {2}--.*$/, '')} REVOKE SELECT ON schemaguard.applied_migrations FROM ${role}`));
      const table = (await guardAs(guardUrl)).findings.filter((f) => f.rule === 'state-unreadable');
      expect(table.map((f) => f.fix.replace(/ {2}--.*$/, ''))).toEqual([`GRANT SELECT ON schemaguard.applied_migrations TO ${role};`]);
      await withClient(url, (c) => c.query(table[0]!.fix.replace(/ {2}--.*$/, '')));
      expect((await guardAs(guardUrl)).findings.map((f) => f.rule)).toEqual(['schema-drift', 'contract-insert']);
    } finally {
      await withClient(url, (c) =>
        c.query(
          `GRANT USAGE ON SCHEMA schemaguard TO ${role}; GRANT SELECT ON schemaguard.applied_migrations TO ${role}; ALTER TABLE web_sessions ALTER COLUMN lead_id DROP NOT NULL`,
        ),
      );
    }
  });

  // Regression: such a table failed its whole sequence-behind batch (42501: permission denied for schema), a note
  // naming up to 100 tables; through the Data API that error ended the pass's transaction, and the run failed whole.
  it('a key table in a schema the role has no USAGE on: a note naming it and the GRANT USAGE that lets the guard read it; the tables read with it are still checked, through a connection and the Data API alike', async () => {
    await withClient(url, (c) =>
      c.query(`CREATE SCHEMA app_private; CREATE TABLE app_private.loaded (id serial PRIMARY KEY);
      CREATE TABLE public.loaded_too (id serial PRIMARY KEY); INSERT INTO public.loaded_too (id) VALUES (1);
      GRANT SELECT ON app_private.loaded, app_private.loaded_id_seq, public.loaded_too, public.loaded_too_id_seq TO ${role}`),
    );
    try {
      const overConnection = await guardAs(guardUrl);
      const overDataApi = await guardAs(guardUrl, 'data-api').catch((e: unknown) => e);

      expect(overConnection.notes).toEqual([
        `sequence-behind: role ${role} has no USAGE on schema app_private, so 1 key column was not checked (app_private.loaded.id): GRANT USAGE ON SCHEMA app_private TO ${role};  -- as the master user (docs guide/guard#the-role-to-grant)`,
      ]);
      expect(overConnection.findings.map((f) => `${f.rule} ${f.object}`)).toEqual([
        'schema-addition public.loaded_too',
        'schema-addition app_private',
        'sequence-behind public.loaded_too.id',
      ]);
      expect(overDataApi).not.toBeInstanceOf(Error);
      expect((overDataApi as GuardReport).notes).toEqual(overConnection.notes);
      expect((overDataApi as GuardReport).findings).toEqual(overConnection.findings);

      // The GRANT the note gives, run: the note goes, and the table is checked.
      await withClient(url, (c) => c.query(`GRANT USAGE ON SCHEMA app_private TO ${role}`));
      expect((await guardAs(guardUrl)).notes ?? []).toEqual([]);
    } finally {
      await withClient(url, (c) => c.query('DROP SCHEMA app_private CASCADE; DROP TABLE public.loaded_too'));
    }
  });
});
