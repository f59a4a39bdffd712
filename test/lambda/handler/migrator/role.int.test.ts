/**
 * The migrator-role resource on PostgreSQL 18 and 15 (`versionPair`): the
 * role provisioner (the master user's secret) makes the migrator before the
 * migrations, the migrations run as it (through a connection and through the
 * Data API stand-in), and the guard's role is made after them, granted on the
 * migrator's schemas. On a new database the migrator owns what the migrations
 * make; on an adopted one (migrated as the master before) it takes over what
 * the master owns in the migrations' schemas, and a later ALTER TABLE runs.
 * An extension only the master may create is created by it when listed. The
 * migrator's whole power is asserted, and what it must not do is tried.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATOR_ROLE_PROP } from '../../../../lambda/handler/constants';
import { plannerRoleName } from '../../../../lambda/handler/guard/planner-sql';
import { dropDatabases, rows, versionPair, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { dropRigRoles, guardRig, MIGRATOR_SECRET_ARN, type DriverMode, type GuardRig, type RigOptions } from '../../../support/guard-rig';
import { rolePower } from '../../../support/role-privileges';
import { CONTRACTS_DIR, MIGRATIONS_DIR } from '../../../support/schema-fixes';

const ctx = { getRemainingTimeInMillis: () => 120_000 };
const rigs: GuardRig[] = [];
afterAll(async () => {
  for (const r of rigs) await r.close();
  await dropDatabases();
  for (const r of rigs) await withClient(r.target.adminUrl, (c) => c.query(`DROP ROLE IF EXISTS ${plannerRoleName(r.guard.name)}`)).catch(() => undefined);
  await dropRigRoles();
});

async function rig(target: (typeof versionPair)[number], mode: DriverMode, label: string, options: RigOptions = {}): Promise<GuardRig> {
  const r = await guardRig(target, mode, label, { migrator: true, contractsDir: CONTRACTS_DIR, ...options });
  rigs.push(r);
  return r;
}

/** The SQLSTATE of `sql` as the migrator (`ok` when it runs). */
const asMigrator = (r: GuardRig, sql: string) =>
  withClient(r.migrator!.url, (c) => c.query(sql)).then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? String(e),
  );
const owners = (r: GuardRig, schema: string) =>
  rows<{ owner: string; n: number }>(
    r.url,
    `SELECT pg_get_userbyid(relowner)::text AS owner, count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'S') GROUP BY 1 ORDER BY 1`,
    [schema],
  );

describe.each(versionPair)('$name', (target) => {
  describe.each(['pg', 'data-api'] as const)('through %s', (mode) => {
    it("a new database: the migrator is made first, the migrations run as it and it owns what they make; the guard's role is granted on its schemas", async () => {
      const r = await rig(target, mode, `mig_new_${mode.replace('-', '')}`);

      const made = await r.handlers.onEvent(r.migratorEvent('Create'), ctx);
      await r.migrate(MIGRATIONS_DIR);
      await r.handlers.onEvent(r.roleEvent('Create'), ctx);

      expect(made).toEqual({ PhysicalResourceId: `schemaguard-migrator-role-${r.migrator!.name}`, Data: { RoleName: r.migrator!.name, Outcome: 'created' } });
      expect(await owners(r, 'public')).toEqual([{ owner: r.migrator!.name, n: expect.any(Number) }]);
      expect(
        await rows(r.url, `SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname IN ('schemaguard', 'schema_fix_audit') ORDER BY nspname`),
      ).toEqual([{ owner: r.migrator!.name }, { owner: r.migrator!.name }]);
      expect(await rows(r.url, `SELECT extowner::regrole::text AS owner FROM pg_extension WHERE extname = 'pgcrypto'`)).toEqual([{ owner: r.migrator!.name }]);
      expect(await rows(r.url, 'SELECT applied_by FROM schemaguard.applied_migrations LIMIT 1')).toHaveLength(1);
      expect((await rolePower(r.url, r.guard.name)).schemas).toEqual(['schema public: USAGE', 'schema schema_fix_audit: USAGE', 'schema schemaguard: USAGE']);
      const printed = r.lines.join('\n');
      for (const s of r.secrets()) expect(printed).not.toContain(s);
    });
  });

  it('holds exactly: LOGIN; CONNECT, TEMPORARY and CREATE on the database; USAGE and CREATE on public; what it owns; no membership — and what it must not do is refused', async () => {
    const r = await rig(target, 'pg', 'mig_power');
    await r.handlers.onEvent(r.migratorEvent('Create'), ctx);
    await r.migrate(MIGRATIONS_DIR);
    await r.handlers.onEvent(r.roleEvent('Create'), ctx);
    await withClient(r.master.url, (c) =>
      c.query('CREATE SCHEMA other_service; CREATE TABLE other_service.ledger (id int); INSERT INTO other_service.ledger VALUES (1)'),
    );

    const power = await rolePower(r.url, r.migrator!.name);
    expect(power.attributes).toEqual(['LOGIN']);
    expect(power.memberOf).toEqual([]);
    expect(power.database).toBe('CONNECT, TEMPORARY, CREATE');
    expect(power.schemas).toEqual(['schema public: USAGE, CREATE', 'schema schema_fix_audit: USAGE, CREATE', 'schema schemaguard: USAGE, CREATE']);
    expect(power.relations.filter((l) => l.includes('other_service'))).toEqual([]);
    const masterMember = await rows(r.url, `SELECT pg_has_role($1, $2, 'USAGE') AS acts`, [r.master.name, r.migrator!.name]);
    expect(masterMember).toEqual([{ acts: true }]);

    expect(await asMigrator(r, 'ALTER TABLE public.leads ADD COLUMN note text')).toBe('ok');
    expect(await asMigrator(r, 'CREATE ROLE sneaky')).toBe('42501');
    expect(await asMigrator(r, 'CREATE DATABASE sneaky')).toBe('42501');
    expect(await asMigrator(r, 'SELECT * FROM other_service.ledger')).toBe('42501');
    expect(await asMigrator(r, `SET ROLE ${r.master.name}`)).toBe('42501');
    expect(await asMigrator(r, `ALTER ROLE ${r.master.name} PASSWORD 'x'`)).toBe('42501');
    expect(await asMigrator(r, `ALTER ROLE ${r.guard.name} PASSWORD 'x'`)).toBe('42501');
    expect(await asMigrator(r, "COPY public.leads (note) FROM '/etc/hostname'")).toBe('42501');
    expect(await asMigrator(r, 'CREATE EXTENSION pg_buffercache')).toBe('42501');
  });

  it("an adopted database (migrated as the master): the migrator takes over what the master owns in the migrations' schemas, and a later ALTER TABLE runs as it; another service's schema stays the master's", async () => {
    const r = await rig(target, 'pg', 'mig_adopt', { contractsDir: '/nonexistent/contracts' });
    const first = {
      '1_orders.sql':
        "CREATE TABLE orders (id serial PRIMARY KEY, total numeric NOT NULL);\nCREATE TYPE order_state AS ENUM ('new', 'paid');\nCREATE FUNCTION order_total(int) RETURNS numeric LANGUAGE sql AS 'SELECT total FROM orders WHERE id = $1';\n",
    };
    // Before the migrator: the migrations ran as the master (its secret), as every deploy did until now.
    await r.migrate(tempDir(first), 'Create', { asMaster: true });
    await withClient(r.master.url, (c) => c.query('CREATE SCHEMA other_service; CREATE TABLE other_service.ledger (id int)'));
    expect(await owners(r, 'public')).toEqual([{ owner: r.master.name, n: 2 }]);

    const adopted = await r.handlers.onEvent(r.migratorEvent('Create'), ctx);
    expect(adopted.Data?.Outcome).toBe('created');
    expect(await owners(r, 'public')).toEqual([{ owner: r.migrator!.name, n: 2 }]);
    expect(await rows(r.url, `SELECT typowner::regrole::text AS owner FROM pg_type WHERE typname = 'order_state'`)).toEqual([{ owner: r.migrator!.name }]);
    expect(await rows(r.url, `SELECT proowner::regrole::text AS owner FROM pg_proc WHERE proname = 'order_total'`)).toEqual([{ owner: r.migrator!.name }]);
    expect(await rows(r.url, `SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = 'schemaguard'`)).toEqual([{ owner: r.migrator!.name }]);
    expect(await owners(r, 'other_service')).toEqual([{ owner: r.master.name, n: 1 }]);

    await r.migrate(
      tempDir({ ...first, '2_orders_note.sql': "ALTER TABLE orders ADD COLUMN note text;\nALTER TYPE order_state ADD VALUE 'shipped';\n" }),
      'Update',
    );
    expect(await rows(r.url, `SELECT count(*)::int AS n FROM schemaguard.applied_migrations`)).toEqual([{ n: 2 }]);
    expect(await rows(r.url, `SELECT attname FROM pg_attribute WHERE attrelid = 'orders'::regclass AND attname = 'note'`)).toEqual([{ attname: 'note' }]);
  });

  it('an extension only the master may create: the migration as the migrator fails without it, and runs once the migrator resource lists it (the master creates it first)', async () => {
    const r = await rig(target, 'pg', 'mig_ext', { masterAttributes: 'SUPERUSER', contractsDir: '/nonexistent/contracts' });
    const dir = tempDir({ '1_buffers.sql': 'CREATE EXTENSION IF NOT EXISTS pg_buffercache;\n' });
    await r.handlers.onEvent(r.migratorEvent('Create'), ctx);
    await expect(r.migrate(dir)).rejects.toThrow(/permission denied to create extension "pg_buffercache"/);

    const old = r.migratorEvent('Update').ResourceProperties;
    await r.handlers.onEvent(
      r.migratorEvent('Update', { ResourceProperties: { ...old, [MIGRATOR_ROLE_PROP.extensions]: ['pg_buffercache'] }, OldResourceProperties: old }),
      ctx,
    );
    await r.migrate(dir, 'Update');

    expect(await rows(r.url, `SELECT extowner::regrole::text AS owner FROM pg_extension WHERE extname = 'pg_buffercache'`)).toEqual([{ owner: r.master.name }]);
  });

  it('refuses an existing role of that name that is a member of the master user, or has CREATEROLE, and commits nothing', async () => {
    const r = await rig(target, 'pg', 'mig_refuse');
    await withClient(target.adminUrl, (c) => c.query(`CREATE ROLE ${r.migrator!.name} LOGIN; GRANT ${r.master.name} TO ${r.migrator!.name}`));
    await expect(r.handlers.onEvent(r.migratorEvent('Create'), ctx)).rejects.toThrow(
      new RegExp(`the migrator ${r.migrator!.name} is a member of ${r.master.name}: .*nothing was committed`),
    );
    expect(await rows(r.url, `SELECT rolpassword IS NULL AS no_password FROM pg_authid WHERE rolname = $1`, [r.migrator!.name])).toEqual([
      { no_password: true },
    ]);
    expect(
      await rows(
        r.url,
        `SELECT count(*)::int AS n FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database() AND a.grantee = to_regrole($1)`,
        [r.migrator!.name],
      ),
    ).toEqual([{ n: 0 }]);

    await withClient(target.adminUrl, (c) => c.query(`REVOKE ${r.master.name} FROM ${r.migrator!.name}; ALTER ROLE ${r.migrator!.name} CREATEROLE`));
    await expect(r.handlers.onEvent(r.migratorEvent('Create'), ctx)).rejects.toThrow(`the role ${r.migrator!.name} already exists with CREATEROLE`);
  });

  it('a password changed in the database (28P01 for every migration) is set again from the secret by an Update that only raises the Revision', async () => {
    const r = await rig(target, 'pg', 'mig_revision');
    await r.handlers.onEvent(r.migratorEvent('Create'), ctx);
    await withClient(target.adminUrl, (c) => c.query(`ALTER ROLE ${r.migrator!.name} PASSWORD 'changed-by-hand'`));
    expect(await asMigrator(r, 'SELECT 1')).toBe('28P01');
    const old = r.migratorEvent('Update').ResourceProperties!;

    const updated = await r.handlers.onEvent(
      r.migratorEvent('Update', { ResourceProperties: { ...old, [MIGRATOR_ROLE_PROP.revision]: '1' }, OldResourceProperties: old }),
      ctx,
    );

    expect(updated.Data).toMatchObject({ Outcome: 'updated' });
    expect(await asMigrator(r, 'SELECT 1')).toBe('ok');
  });

  it('a secret for another user is refused; Delete leaves the role and the database alone', async () => {
    const r = await rig(target, 'pg', 'mig_delete');
    r.putSecret(MIGRATOR_SECRET_ARN, { username: 'someone_else', password: 'Pw-12345678' });
    await expect(r.handlers.onEvent(r.migratorEvent('Create'), ctx)).rejects.toThrow(
      `the migrator secret ${MIGRATOR_SECRET_ARN} is for user "someone_else", not the role ${r.migrator!.name}`,
    );
    const deleted = await r.handlers.onEvent(r.migratorEvent('Delete'), ctx);
    expect(deleted.PhysicalResourceId).toBe(`schemaguard-migrator-role-${r.migrator!.name}`);
    expect(await rows(r.url, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [r.migrator!.name])).toEqual([]);
  });
});
