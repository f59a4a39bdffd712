/**
 * The guard-role resource on real PostgreSQL 18 and 15, through both drivers
 * the migration handler uses (a connection; the Data API stand-in): the role
 * is created after the migrations with a SCRAM verifier of the secret's
 * password, can log in and read what the guard reads (catalog, state table)
 * and has no write privilege, not even to plan a write; an Update re-grants
 * on tables made since; an existing role with more power, or a secret for
 * another user, is refused with the database unchanged; Delete touches
 * nothing. Neither the password nor its verifier is ever printed.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { GUARD_ROLE_ATTR, GUARD_ROLE_RESOURCE_TYPE } from '../../../../lambda/handler/constants';
import { dropDatabases, rows, versionPair, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { dropRigRoles, GUARD_SECRET_ARN, guardRig, type DriverMode, type GuardRig } from '../../../support/guard-rig';
import { ProviderHarness } from '../../../support/provider-framework';

const rigs: GuardRig[] = [];
afterAll(async () => {
  for (const r of rigs.splice(0)) await r.standin?.close();
  await dropDatabases();
  await dropRigRoles();
});

const MIGRATIONS = {
  '1_orders.sql': 'CREATE TABLE orders (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), total numeric NOT NULL);\n',
  '2_billing.sql': 'CREATE SCHEMA billing;\nCREATE TABLE billing.invoices (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, order_id uuid);\n',
};
const ctx = { getRemainingTimeInMillis: () => 120_000 };

async function asGuard<T>(r: GuardRig, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: r.guard.url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The SQLSTATE a statement fails with as the guard role (or 'ok'). */
const sqlstate = (r: GuardRig, sql: string) =>
  asGuard(r, (c) =>
    c.query(sql).then(
      () => 'ok',
      (e: { code?: string }) => e.code ?? String(e),
    ),
  );

async function deployed(mode: DriverMode, target: (typeof versionPair)[number], label: string): Promise<GuardRig> {
  const r = await guardRig(target, mode, label);
  rigs.push(r);
  await r.migrate(tempDir(MIGRATIONS));
  return r;
}

describe.each(versionPair)('$name', (target) => {
  describe.each(['pg', 'data-api'] as const)('through %s', (mode) => {
    it("creates the role after the migrations: it logs in with the secret's password, reads what the guard reads, and cannot write", async () => {
      const r = await deployed(mode, target, `role_${mode.replace('-', '')}`);

      const created = await r.handlers.onEvent(r.roleEvent('Create'), ctx);
      const done = await r.handlers.isComplete({ ...r.roleEvent('Create'), PhysicalResourceId: created.PhysicalResourceId }, ctx);

      expect(created).toEqual({
        PhysicalResourceId: `schemaguard-guard-role-${r.guard.name}`,
        Data: { [GUARD_ROLE_ATTR.roleName]: r.guard.name, [GUARD_ROLE_ATTR.outcome]: 'created' },
      });
      expect(done).toEqual({ IsComplete: true });
      const [role] = await rows<Record<string, unknown>>(
        target.adminUrl,
        `SELECT r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolconfig, a.rolpassword
           FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1`,
        [r.guard.name],
      );
      expect(role).toMatchObject({
        rolcanlogin: true,
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolconfig: ['default_transaction_read_only=on'],
      });
      expect(String(role!.rolpassword)).toMatch(/^SCRAM-SHA-256\$4096:/);
      expect(r.secretReads).toContain(GUARD_SECRET_ARN);

      expect(await asGuard(r, async (c) => (await c.query('SHOW default_transaction_read_only')).rows[0].default_transaction_read_only)).toBe('on');
      expect(await sqlstate(r, 'SELECT count(*) FROM orders')).toBe('ok');
      expect(await sqlstate(r, 'SELECT count(*) FROM billing.invoices')).toBe('ok');
      expect(await sqlstate(r, 'SELECT version FROM schemaguard.applied_migrations')).toBe('ok');
      // Regression (tester): ON ALL TABLES does not cover sequences; sequence-behind skipped every one, silently.
      expect(await sqlstate(r, 'SELECT last_value FROM billing.invoices_id_seq')).toBe('ok');
      // No write privilege, so not even a plan of one: the deploy's contract planner plans writing contracts (write-attempts.int.test.ts).
      expect(await sqlstate(r, 'EXPLAIN INSERT INTO orders (total) VALUES (1)')).toBe('42501');
      expect(await sqlstate(r, 'INSERT INTO orders (total) VALUES (1)')).toBe('25006');
      expect(await sqlstate(r, 'DELETE FROM billing.invoices')).toBe('25006');
      expect(await sqlstate(r, 'CREATE TABLE public.sneaky (id int)')).toBe('25006');
      expect(await sqlstate(r, 'DELETE FROM schemaguard.applied_migrations')).toBe('25006');
      expect(await rows(r.url, 'SELECT count(*)::int AS n FROM orders')).toEqual([{ n: 0 }]);

      const printed = r.lines.join('\n');
      for (const s of [...r.secrets(), String(role!.rolpassword)]) expect(printed).not.toContain(s);
      if (r.standin) expect(JSON.stringify(r.standin.calls)).not.toContain(r.guard.password);
    });

    it("the password is the secret's: a wrong one is refused", async () => {
      const r = await deployed(mode, target, `pw_${mode.replace('-', '')}`);
      await r.handlers.onEvent(r.roleEvent('Create'), ctx);

      const wrong = new URL(r.guard.url);
      wrong.password = 'not-the-password';
      const refused = await new pg.Client({ connectionString: wrong.toString() }).connect().then(
        () => 'connected',
        (e: { code?: string }) => e.code,
      );
      expect(refused).toBe('28P01');
    });
  });

  it("through the real Provider framework runtime: SUCCESS with the role's name, and neither the password nor its verifier in the response or any log", async () => {
    const r = await deployed('pg', target, 'framework');
    const harness = new ProviderHarness({ onEvent: r.handlers.onEvent as never, isComplete: r.handlers.isComplete as never });
    await harness.start();
    try {
      const props = r.roleEvent('Create').ResourceProperties;
      const created = await harness.send({
        RequestType: 'Create',
        ResourceType: GUARD_ROLE_RESOURCE_TYPE,
        LogicalResourceId: 'SchemaGuardRole',
        ResourceProperties: props,
      });

      expect(created).toMatchObject({
        Status: 'SUCCESS',
        PhysicalResourceId: `schemaguard-guard-role-${r.guard.name}`,
        Data: { RoleName: r.guard.name, Outcome: 'created' },
      });
      const [{ rolpassword }] = await rows<{ rolpassword: string }>(target.adminUrl, 'SELECT rolpassword FROM pg_authid WHERE rolname = $1', [r.guard.name]);
      const printed = [...harness.logs, ...harness.rawResponses, ...r.lines].join('\n');
      for (const s of [...r.secrets(), rolpassword!, rolpassword!.split('$')[2]!]) expect(printed).not.toContain(s);
    } finally {
      await harness.stop();
    }
  });

  it('an Update re-grants: a table made by a later migration is readable by the role', async () => {
    const r = await deployed('pg', target, 'regrant');
    await r.handlers.onEvent(r.roleEvent('Create'), ctx);
    await r.migrate(
      tempDir({ ...MIGRATIONS, '3_audit.sql': 'CREATE SCHEMA audit;\nCREATE TABLE audit.events (id int);\nCREATE TABLE public.refunds (id serial);\n' }),
      'Update',
    );

    // Default privileges cover a new table in a known schema at once; a new schema waits for the resource's Update.
    expect(await sqlstate(r, 'SELECT count(*) FROM public.refunds')).toBe('ok');
    expect(await sqlstate(r, 'SELECT last_value FROM public.refunds_id_seq')).toBe('ok');
    expect(await sqlstate(r, 'SELECT count(*) FROM audit.events')).toBe('42501');
    const updated = await r.handlers.onEvent(r.roleEvent('Update'), ctx);
    expect(updated.Data?.[GUARD_ROLE_ATTR.outcome]).toBe('updated');
    expect(await sqlstate(r, 'SELECT count(*) FROM audit.events')).toBe('ok');
  });

  it('regression: a password changed by hand (28P01 every run) is reset by an Update that only raises the Revision', async () => {
    const r = await deployed('pg', target, 'revision');
    await r.handlers.onEvent(r.roleEvent('Create'), ctx);
    await withClient(target.adminUrl, (c) => c.query(`ALTER ROLE ${r.guard.name} PASSWORD 'changed-by-hand'`));
    const refused = await new pg.Client({ connectionString: r.guard.url }).connect().then(
      () => 'connected',
      (e: { code?: string }) => e.code,
    );
    expect(refused).toBe('28P01');
    const old = r.roleEvent('Update').ResourceProperties;

    const updated = await r.handlers.onEvent(r.roleEvent('Update', { ResourceProperties: { ...old, Revision: '1' }, OldResourceProperties: old }), ctx);

    expect(updated).toEqual({
      PhysicalResourceId: `schemaguard-guard-role-${r.guard.name}`,
      Data: { [GUARD_ROLE_ATTR.roleName]: r.guard.name, [GUARD_ROLE_ATTR.outcome]: 'updated' },
    });
    expect(await sqlstate(r, 'SELECT count(*) FROM orders')).toBe('ok');
  });

  it('an Update to another role name (the default became schemaguard_guard_<database>) makes the new role from its own secret and leaves the old one as it was', async () => {
    const r = await deployed('pg', target, 'rename');
    await r.handlers.onEvent(r.roleEvent('Create'), ctx);
    const before = await rows(
      target.adminUrl,
      'SELECT r.rolcanlogin, r.rolconfig, a.rolpassword FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1',
      [r.guard.name],
    );
    const renamed = { name: `${r.guard.name}_orders`, password: `N${randomBytes(12).toString('base64url')}~` };
    const renamedArn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-guard-orders-MnOpQr';
    r.putSecret(renamedArn, { username: renamed.name, password: renamed.password });
    const old = r.roleEvent('Update').ResourceProperties;

    const updated = await r.handlers.onEvent(
      r.roleEvent('Update', {
        ResourceProperties: { ...old, RoleName: renamed.name, SecretArn: renamedArn },
        OldResourceProperties: old,
      }),
      ctx,
    );

    // A new physical id: CloudFormation's Delete of the old one follows, and touches nothing.
    expect(updated).toEqual({
      PhysicalResourceId: `schemaguard-guard-role-${renamed.name}`,
      Data: { [GUARD_ROLE_ATTR.roleName]: renamed.name, [GUARD_ROLE_ATTR.outcome]: 'created' },
    });
    const renamedUrl = Object.assign(new URL(r.guard.url), { username: renamed.name, password: encodeURIComponent(renamed.password) }).toString();
    const asRenamed = (sql: string) =>
      withClient(renamedUrl, (c) => c.query(sql)).then(
        () => 'ok',
        (e: { code?: string }) => e.code ?? String(e),
      );
    expect(await asRenamed('SELECT count(*) FROM billing.invoices')).toBe('ok');
    expect(await asRenamed('INSERT INTO orders (total) VALUES (1)')).toBe('25006');
    expect(
      await rows(target.adminUrl, 'SELECT r.rolcanlogin, r.rolconfig, a.rolpassword FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1', [
        r.guard.name,
      ]),
    ).toEqual(before);
    expect(await sqlstate(r, 'SELECT count(*) FROM orders')).toBe('ok');
    expect(r.lines.join('\n')).toContain(`guard role renamed from ${r.guard.name} to ${renamed.name}: ${r.guard.name} is left as it was`);

    await r.handlers.onEvent(r.roleEvent('Delete'), ctx);
    expect(
      await rows(target.adminUrl, 'SELECT r.rolcanlogin, r.rolconfig, a.rolpassword FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1', [
        r.guard.name,
      ]),
    ).toEqual(before);
    expect(r.lines.join('\n')).not.toContain(renamed.password);
  });

  it('refuses an existing role of that name with more power than reading, and changes nothing', async () => {
    const r = await deployed('pg', target, 'powerful');
    await withClient(target.adminUrl, (c) => c.query(`CREATE ROLE ${r.guard.name} LOGIN CREATEDB`));

    await expect(r.handlers.onEvent(r.roleEvent('Create'), ctx)).rejects.toThrow(
      new RegExp(`the role ${r.guard.name} already exists with CREATEDB: it cannot be the guard's read-only role`),
    );
    expect(
      await rows(target.adminUrl, 'SELECT r.rolconfig, a.rolpassword FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1', [r.guard.name]),
    ).toEqual([{ rolconfig: null, rolpassword: null }]);
  });

  it('refuses a secret for another user', async () => {
    const r = await guardRig(target, 'pg', 'otheruser', { guardUser: 'someone_else' });
    rigs.push(r);
    await r.migrate(tempDir(MIGRATIONS));

    await expect(r.handlers.onEvent(r.roleEvent('Create'), ctx)).rejects.toThrow(
      `the guard secret ${GUARD_SECRET_ARN} is for user "someone_else", not the role ${r.guard.name}`,
    );
    expect(await rows(target.adminUrl, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [r.guard.name])).toEqual([]);
  });

  it('Delete leaves the role and the database alone, without reading a secret', async () => {
    const r = await deployed('pg', target, 'delete');
    await r.handlers.onEvent(r.roleEvent('Create'), ctx);
    const reads = r.secretReads.length;

    const deleted = await r.handlers.onEvent(r.roleEvent('Delete'), ctx);

    expect(deleted.PhysicalResourceId).toBe(`schemaguard-guard-role-${r.guard.name}`);
    expect(r.secretReads.length).toBe(reads);
    expect(await sqlstate(r, 'SELECT count(*) FROM orders')).toBe('ok');
  });
});
