/**
 * Invoke is not authority: each function of a synthesised configuration,
 * run with the configuration its template gives it (references resolved as
 * CloudFormation would, the rig's secrets and database in place of AWS's),
 * answers the deploy's own events — every custom resource of the template,
 * in order — and refuses, before it reads a secret or connects, every event
 * the deploy never sends: a migrator-role event naming the guard's role, its
 * secret, another schema and an extension; a guard-role event naming the
 * master as the migrator; a baseline the template does not have; a resource
 * of another type, stack or logical id; an operator command to a
 * CloudFormation function. After each refusal nothing changed in the
 * database: roles, owners, grants and state rows are as they were. On a real
 * PostgreSQL, over a connection and through the Data API stand-in.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, GUARD_ROLE_PROP, MIGRATIONS_RESOURCE_TYPE, MIGRATOR_ROLE_PROP, MIGRATOR_ROLE_RESOURCE_TYPE, PROP } from '../../../lambda/handler/constants';
import type { FunctionKind } from '../../../lambda/handler/contract';
import { createHandlers, type Handlers, type OnEventRequest } from '../../../lambda/handler/handler';
import { OPERATOR_PROTOCOL_VERSION, OPERATOR_REQUEST_FIELD, type OperatorResult } from '../../../lambda/handler/operator-protocol';
import { catalogFingerprint } from '../../support/catalog-fingerprint';
import { CONFIGURATION_MIGRATIONS, type Configuration, functionsOf, resolve, stackIdOf, synthConfigurations } from '../../support/configurations';
import { DataApiStandin } from '../../support/data-api-standin';
import { dropDatabases, rows, targets, withClient } from '../../support/db';
import { TEST_CLUSTER_ARN } from '../../support/drivers';
import { tempDir } from '../../support/files';
import { dropRigRoles, GUARD_SECRET_ARN, type DriverMode, guardRig, type GuardRig, MASTER_SECRET_ARN, MIGRATOR_SECRET_ARN } from '../../support/guard-rig';

const ctx = { getRemainingTimeInMillis: () => 120_000, awsRequestId: 'req-forged' };
const target = targets[0]!;
const MIGRATIONS_DIR = tempDir(CONFIGURATION_MIGRATIONS);

let configurations: Configuration[];
const rigs: GuardRig[] = [];
const standins: DataApiStandin[] = [];

// Synthesising the configurations takes a minute or more on a busy machine.
beforeAll(() => {
  configurations = synthConfigurations([
    'rds stack (masterSecret, guard)',
    'aurora stack (Data API, masterSecret, guard)',
    'instance, secret, every setting',
    'imported instance, secret',
    'cluster Data API, secret, guard',
  ]);
}, 300_000);

afterAll(async () => {
  for (const r of rigs) await r.close();
  for (const s of standins) await s.close();
  await dropDatabases();
  await dropRigRoles();
});

/** A configuration deployed onto a rig: its functions' handlers, and its custom resources' events, in the order a deploy sends them. */
interface Deployed {
  rig: GuardRig;
  handlers: Partial<Record<FunctionKind, Handlers>>;
  /** The template's custom resources as CloudFormation sends them (Create), by type. */
  events: OnEventRequest[];
  lines: string[];
}

const ORDER = [MIGRATOR_ROLE_RESOURCE_TYPE, MIGRATIONS_RESOURCE_TYPE, 'Custom::SchemaguardGuardRole'];

async function deploy(name: string, mode: DriverMode, label: string): Promise<Deployed> {
  const c = configurations.find((x) => x.name === name)!;
  const fns = functionsOf(c);
  const provisioned = fns.some((f) => f.kind === 'provisioner');
  const rig = await guardRig(target, mode, label, { migrator: provisioned });
  rigs.push(rig);
  const custom = Object.entries(c.resources).filter(([, r]) => ORDER.includes(r.Type));
  const refs = secretRefs(custom);
  // The template's role names are the rig's (as if synthesised with migratorRoleName / roleName): roles are the server's, not the database's.
  const renames = roleRenames(custom, rig);
  const resolved = (v: unknown) => rename(resolve(v, c.stackName, refs), renames);
  const lines: string[] = [];
  const handlers: Deployed['handlers'] = {};
  for (const f of fns.filter((x) => x.kind === 'migrations' || x.kind === 'provisioner')) {
    if (handlers[f.kind]) continue;
    const asMigrator = f.kind === 'migrations' && provisioned;
    const env = {
      ...(resolved(f.environment) as Record<string, string>),
      [ENV.secretArn]: asMigrator ? MIGRATOR_SECRET_ARN : MASTER_SECRET_ARN,
      [ENV.tls]: 'disable',
      [ENV.connectAttempts]: '2',
      [ENV.databaseName]: rig.database,
      [ENV.migrationsDir]: MIGRATIONS_DIR,
      [ENV.contractsDir]: '/nonexistent/contracts',
      [ENV.snapshotFile]: '',
      ...(mode === 'data-api' ? { [ENV.clusterArn]: TEST_CLUSTER_ARN } : {}),
    };
    const dataApi = mode === 'data-api' ? (asMigrator ? standinFor(rig.migrator!.url) : rig.standin) : undefined;
    handlers[f.kind] = createHandlers({ secrets: rig.secretsClient, dataApi, env, write: (l) => lines.push(l) });
  }
  const events = custom
    .sort(([, a], [, b]) => ORDER.indexOf(a.Type) - ORDER.indexOf(b.Type))
    .map(([id, r]) => ({
      RequestType: 'Create' as const,
      StackId: stackIdOf(c.stackName),
      RequestId: `req-${randomBytes(3).toString('hex')}`,
      LogicalResourceId: id,
      ResourceType: r.Type,
      ResourceProperties: resolved(r.Properties ?? {}) as Record<string, unknown>,
    }));
  return { rig, handlers, events, lines };
}

function standinFor(url: string): DataApiStandin {
  const s = new DataApiStandin(url);
  standins.push(s);
  return s;
}

/** The secrets the resources name, as the rig's Secrets Manager serves them. */
function secretRefs(custom: [string, { Type: string; Properties?: Record<string, unknown> }][]): Record<string, string> {
  const refOf = (type: string, prop: string) => (custom.find(([, r]) => r.Type === type)?.[1].Properties?.[prop] as { Ref?: string } | undefined)?.Ref;
  const refs: Record<string, string> = {};
  const migrator = refOf(MIGRATOR_ROLE_RESOURCE_TYPE, MIGRATOR_ROLE_PROP.secretArn);
  const guard = refOf('Custom::SchemaguardGuardRole', GUARD_ROLE_PROP.secretArn);
  if (migrator) refs[migrator] = MIGRATOR_SECRET_ARN;
  if (guard) refs[guard] = GUARD_SECRET_ARN;
  return refs;
}

function roleRenames(custom: [string, { Type: string; Properties?: Record<string, unknown> }][], rig: GuardRig): Record<string, string> {
  const name = (type: string, prop: string) => custom.find(([, r]) => r.Type === type)?.[1].Properties?.[prop];
  const out: Record<string, string> = {};
  const migrator = name(MIGRATOR_ROLE_RESOURCE_TYPE, MIGRATOR_ROLE_PROP.roleName);
  const guard = name('Custom::SchemaguardGuardRole', GUARD_ROLE_PROP.roleName);
  if (typeof migrator === 'string' && rig.migrator) out[migrator] = rig.migrator.name;
  if (typeof guard === 'string') out[guard] = rig.guard.name;
  return out;
}

function rename(value: unknown, renames: Record<string, string>): unknown {
  let text = JSON.stringify(value);
  for (const [from, to] of Object.entries(renames)) text = text.split(`"${from}"`).join(`"${to}"`).split(`\\"${from}\\"`).join(`\\"${to}\\"`);
  return JSON.parse(text);
}

/** Every deploy event of the configuration, in order, to the function that serves it (the migrations through isComplete until done). */
async function runDeploy(d: Deployed): Promise<void> {
  for (const event of d.events) {
    if (event.ResourceType === MIGRATIONS_RESOURCE_TYPE) {
      const h = d.handlers.migrations!;
      const started = await h.onEvent(event, ctx);
      let done = false;
      for (let n = 0; n < 20 && !done; n++)
        done = (await h.isComplete({ ...event, ...started, PhysicalResourceId: started.PhysicalResourceId }, ctx)).IsComplete;
      expect(done, 'the migrations completed').toBe(true);
    } else {
      const serving = event.ResourceType === MIGRATOR_ROLE_RESOURCE_TYPE || d.handlers.provisioner ? d.handlers.provisioner! : d.handlers.migrations!;
      await serving.onEvent(event, ctx);
    }
  }
}

/** What a run may change: the roles of the rig, every owner and grant in the database, and the state rows. */
async function authority(d: Deployed): Promise<string> {
  const roles = await rows(
    d.rig.target.adminUrl,
    `SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolpassword IS NOT NULL AS has_password,
       ARRAY(SELECT b.rolname FROM pg_auth_members m JOIN pg_roles b ON b.oid = m.roleid WHERE m.member = r.oid ORDER BY 1) AS member_of
     FROM pg_authid r WHERE rolname = ANY($1) ORDER BY rolname`,
    [[d.rig.master.name, d.rig.guard.name, d.rig.migrator?.name ?? '', 'billing_owner']],
  );
  const owners = await rows(
    d.rig.url,
    `SELECT 'ns' AS k, nspname::text AS name, nspowner::regrole::text AS owner, coalesce(nspacl::text, '') AS acl FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
     UNION ALL SELECT 'rel', n.nspname || '.' || c.relname, c.relowner::regrole::text, coalesce(c.relacl::text, '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
     UNION ALL SELECT 'ext', extname, extowner::regrole::text, '' FROM pg_extension
     UNION ALL SELECT 'db', datname, datdba::regrole::text, coalesce(datacl::text, '') FROM pg_database WHERE datname = current_database()
     ORDER BY 1, 2`,
  );
  const states = await rows<{ t: string | null }>(
    d.rig.url,
    "SELECT string_agg(format('%I.%I', schemaname, tablename), ',') AS t FROM pg_tables WHERE tablename = 'applied_migrations'",
  );
  const state = [];
  for (const t of (states[0]?.t ?? '').split(',').filter(Boolean))
    state.push(...(await rows(d.rig.url, `SELECT version, kind, applied_by FROM ${t} ORDER BY version`)));
  return JSON.stringify({ roles, owners, state, catalog: await catalogFingerprint(d.rig.url) }, null, 1);
}

/** `send` is refused with `message`, and nothing it could change did. */
async function refused(d: Deployed, send: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = await authority(d);
  await expect(send()).rejects.toThrow(message);
  expect(await authority(d)).toBe(before);
}

const eventOf = (d: Deployed, type: string) => d.events.find((e) => e.ResourceType === type)!;
const forged = (event: OnEventRequest, props: Record<string, unknown>, extra: Partial<OnEventRequest> = {}): OnEventRequest => ({
  ...event,
  RequestId: `forged-${randomBytes(3).toString('hex')}`,
  ResourceProperties: { ...event.ResourceProperties, ...props },
  ...extra,
});
const operatorRequest = {
  [OPERATOR_REQUEST_FIELD]: OPERATOR_PROTOCOL_VERSION,
  command: 'baseline',
  args: ['1'],
  flags: { '--reason': 'x' },
  caller: { identity: 'x', source: 'actor' },
};

describe(`Invoke is not authority, on ${target.name}`, () => {
  it('the RDS stack (masterSecret, guard): the role provisioner and the migration function refuse every forged event, nothing changed; the deploy itself passes', async () => {
    const d = await deploy('rds stack (masterSecret, guard)', 'pg', 'forged_rds');
    const provisioner = d.handlers.provisioner!;
    const migrations = d.handlers.migrations!;
    const migratorEvent = eventOf(d, MIGRATOR_ROLE_RESOURCE_TYPE);
    const guardEvent = eventOf(d, 'Custom::SchemaguardGuardRole');
    const migrationsEvent = eventOf(d, MIGRATIONS_RESOURCE_TYPE);

    // A baseline on a fresh database: refused by the migration function, nothing recorded.
    await refused(
      d,
      () => migrations.onEvent(forged(migrationsEvent, { [PROP.baselineVersion]: '1', [PROP.baselineReason]: 'forged' }), ctx),
      /Custom::SchemaMigrations request's BaselineVersion is "1", and this function was deployed with not set: refused, nothing was changed/,
    );
    // The guard's role with the master as its migrator (whose schemas it would read).
    await refused(
      d,
      () => provisioner.onEvent(forged(guardEvent, { [GUARD_ROLE_PROP.migratorRole]: d.rig.master.name }), ctx),
      new RegExp(`MigratorRole is "${d.rig.master.name}"`),
    );
    // The right properties on another resource: another logical id, another stack.
    await refused(
      d,
      () => provisioner.onEvent(forged(migratorEvent, {}, { LogicalResourceId: 'Elsewhere' }), ctx),
      /Elsewhere is not the one this function was made for/,
    );
    await refused(
      d,
      () => provisioner.onEvent(forged(migratorEvent, {}, { StackId: stackIdOf('OtherStack') }), ctx),
      /OtherStack\/.* is not the one this function was made for/,
    );
    // Types a function does not serve: the migrations to the provisioner (it would run them as the master), the roles to the migration function.
    await refused(d, () => provisioner.onEvent(migrationsEvent, ctx), /this function does not serve "Custom::SchemaMigrations" resources/);
    await refused(d, () => migrations.onEvent(migratorEvent, ctx), /this function does not serve "Custom::SchemaguardMigratorRole" resources/);
    await refused(d, () => migrations.onEvent(guardEvent, ctx), /this function does not serve "Custom::SchemaguardGuardRole" resources/);
    // An operator command to the provisioner: answered with a refusal (exit 2), nothing run.
    const before = await authority(d);
    const answer = (await provisioner.onEvent(operatorRequest as never, ctx)) as unknown as OperatorResult;
    expect(answer.exitCode).toBe(2);
    expect(answer.output[0]?.[1]).toContain('serves CloudFormation only: operator commands go to the operator function');
    expect(await authority(d)).toBe(before);

    // The deploy's own events pass: the migrator made, the migrations run as it, the guard's role made.
    await runDeploy(d);
    expect(await rows(d.rig.url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 2 }]);
    expect(await rows(d.rig.url, "SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'a'")).toEqual([{ owner: d.rig.migrator!.name }]);

    // Another service's schema, owned by the master, which no deploy event names (made after the first deploy, which refuses a database with tables it does not know).
    await withClient(d.rig.master.url, (c) => c.query('CREATE SCHEMA billing; CREATE TABLE billing.cards (id int, pan text)'));
    // The migrator resource naming the guard's role, its secret, another schema and an extension.
    await refused(
      d,
      () =>
        provisioner.onEvent(
          forged(migratorEvent, {
            [MIGRATOR_ROLE_PROP.roleName]: d.rig.guard.name,
            [MIGRATOR_ROLE_PROP.secretArn]: GUARD_SECRET_ARN,
            [MIGRATOR_ROLE_PROP.schemas]: ['billing'],
            [MIGRATOR_ROLE_PROP.extensions]: ['pg_buffercache'],
          }),
          ctx,
        ),
      new RegExp(`RoleName is "${d.rig.guard.name}", and this function was deployed with "${d.rig.migrator!.name}"`),
    );
    // Only the schemas differ: refused naming Schemas.
    await refused(d, () => provisioner.onEvent(forged(migratorEvent, { [MIGRATOR_ROLE_PROP.schemas]: ['billing'] }), ctx), /Schemas is \["billing"\]/);
    expect(await rows(d.rig.url, "SELECT tableowner AS owner FROM pg_tables WHERE schemaname = 'billing'")).toEqual([{ owner: d.rig.master.name }]);
    // After the deploy, an Update that names the master as the guard's migrator is refused just the same.
    await refused(
      d,
      () =>
        provisioner.onEvent(
          forged(
            guardEvent,
            { [GUARD_ROLE_PROP.migratorRole]: d.rig.master.name },
            { RequestType: 'Update', PhysicalResourceId: `schemaguard-guard-role-${d.rig.guard.name}` },
          ),
          ctx,
        ),
      /MigratorRole is/,
    );
    const printed = d.lines.join('\n');
    for (const s of d.rig.secrets()) expect(printed).not.toContain(s);
  });

  it('the Aurora stack through the Data API: the same refusals, and the deploy passes', async () => {
    const d = await deploy('aurora stack (Data API, masterSecret, guard)', 'data-api', 'forged_aurora');
    await refused(
      d,
      () =>
        d.handlers.migrations!.onEvent(forged(eventOf(d, MIGRATIONS_RESOURCE_TYPE), { [PROP.baselineFrom]: 'flyway', [PROP.baselineReason]: 'forged' }), ctx),
      /BaselineFrom is "flyway", and this function was deployed with not set/,
    );
    await refused(
      d,
      () => d.handlers.provisioner!.onEvent(forged(eventOf(d, MIGRATOR_ROLE_RESOURCE_TYPE), { [MIGRATOR_ROLE_PROP.extensions]: ['pg_buffercache'] }), ctx),
      /Extensions is \["pg_buffercache"\]/,
    );
    await refused(d, () => d.handlers.provisioner!.onEvent(eventOf(d, MIGRATIONS_RESOURCE_TYPE), ctx), /does not serve "Custom::SchemaMigrations"/);
    await runDeploy(d);
    expect(await rows(d.rig.url, "SELECT tableowner AS owner FROM pg_tables WHERE tablename = 'b'")).toEqual([{ owner: d.rig.migrator!.name }]);
  });

  it('SchemaMigrations with every setting and a baseline: its own baseline passes, another or none is refused', async () => {
    const d = await deploy('instance, secret, every setting', 'pg', 'forged_baseline');
    const event = eventOf(d, MIGRATIONS_RESOURCE_TYPE);
    await refused(
      d,
      () => d.handlers.migrations!.onEvent(forged(event, { [PROP.baselineVersion]: '2' }), ctx),
      /BaselineVersion is "2", and this function was deployed with "1"/,
    );
    await refused(
      d,
      () => d.handlers.migrations!.onEvent(forged(event, { [PROP.baselineVersion]: undefined, [PROP.baselineReason]: undefined }), ctx),
      /BaselineVersion is not set, and this function was deployed with "1"/,
    );
    await runDeploy(d);
    expect(await rows(d.rig.url, 'SELECT version::int AS version, kind FROM orders_schemaguard.applied_migrations ORDER BY version')).toEqual([
      { version: 1, kind: 'baseline' },
      { version: 2, kind: 'migrate' },
    ]);
  });

  it.each([
    ['imported instance, secret', 'pg'],
    ['cluster Data API, secret, guard', 'data-api'],
  ] as const)('%s: the deploy passes; a role resource the function was not made for is refused', async (name, mode) => {
    const d = await deploy(name, mode, `forged_${mode.replace('-', '')}`);
    const role = {
      ...eventOf(d, MIGRATIONS_RESOURCE_TYPE),
      ResourceType: MIGRATOR_ROLE_RESOURCE_TYPE,
      ResourceProperties: {
        [MIGRATOR_ROLE_PROP.roleName]: d.rig.guard.name,
        [MIGRATOR_ROLE_PROP.secretArn]: GUARD_SECRET_ARN,
        [MIGRATOR_ROLE_PROP.schemas]: ['public'],
      },
    };
    await refused(d, () => d.handlers.migrations!.onEvent(role, ctx), /does not serve "Custom::SchemaguardMigratorRole"/);
    await runDeploy(d);
    expect(await rows(d.rig.url, 'SELECT count(*)::int AS n FROM schemaguard.applied_migrations')).toEqual([{ n: 2 }]);
  });
});
