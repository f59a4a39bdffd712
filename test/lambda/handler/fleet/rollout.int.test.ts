/**
 * A fleet's deploy as CloudFormation drives it: the real Provider framework
 * runtime calls the handler's onEvent, which reads the tenant schemas and
 * starts the rollout; the state machine is the workflow's definition
 * executed locally (aws-local-stepfunctions), each of its Tasks an
 * invocation of the same handler entry, against real PostgreSQL; the
 * waiter's isComplete describes the execution until it ends. Secrets Manager
 * and Step Functions are the AWS services stood in for (and SSM, for a
 * fleet named in Parameter Store: a local server speaking its protocol).
 */
import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTR, ENV, MIGRATIONS_RESOURCE_TYPE, MIGRATOR_ROLE_RESOURCE_TYPE, PROP, RESPONSE_LIMIT_BYTES } from '../../../../lambda/handler/constants';
import { createHandlers, type Handlers } from '../../../../lambda/handler/handler';
import { isFleetTenantEvent } from '../../../../lambda/handler/fleet/protocol';
import { fleetDefinition } from '../../../../lib/fleet/fleet-workflow';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { localStepFunctions, type LocalStepFunctions } from '../../../support/local-step-functions';
import { ProviderHarness } from '../../../support/provider-framework';
import { AwsEndpoints } from '../../../support/aws-endpoints';

afterAll(dropDatabases);

const target = targets[0]!;
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-fleet-AbCdEf';
const STATE_MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:schemaguard-fleet';
const FUNCTION = 'arn:aws:lambda:eu-west-1:111111111111:function:sg-test-onEvent';
const FILES = {
  '0001_items.sql': 'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);\n',
  '0002_orders.sql': 'CREATE TABLE orders (id int PRIMARY KEY, item_id int REFERENCES items (id));\n',
};
/** A schema name with a quote, a semicolon and a line break: it stays a name all the way through Step Functions' JSON. */
const HOSTILE = 'tenant_q\'"; DROP SCHEMA public; --\nx';

interface Rig {
  harness: ProviderHarness;
  sfn: LocalStepFunctions;
  url: string;
  /** The most tenant items at work at once. */
  most: () => number;
  props: Record<string, unknown>;
  /** One invocation of the function's entry, as a Task makes it. */
  invoke: (payload: never) => Promise<unknown>;
}

/** The handler with a fleet, its Step Functions local, behind the Provider framework. */
async function rig(
  label: string,
  fleet: Record<string, unknown>,
  schemas: string[],
  more: { files?: Record<string, string>; env?: Record<string, string> } = {},
): Promise<Rig> {
  const url = await freshDatabase(target, label);
  if (schemas.length) await rows(url, schemas.map((s) => `CREATE SCHEMA "${s.replace(/"/g, '""')}"`).join(';'));
  const { username, password, hostname, port, pathname } = new URL(url);
  const secrets = {
    send: async (command: GetSecretValueCommand) => {
      expect(command.input.SecretId).toBe(SECRET_ARN);
      const creds = {
        username: decodeURIComponent(username),
        password: decodeURIComponent(password),
        host: hostname,
        port: Number(port),
        dbname: pathname.slice(1),
      };
      return { SecretString: JSON.stringify(creds) };
    },
  };
  const env = {
    [ENV.secretArn]: SECRET_ARN,
    [ENV.migrationsDir]: tempDir(more.files ?? FILES),
    [ENV.contractsDir]: tempDir({}),
    [ENV.tls]: 'disable',
    [ENV.reserveMs]: '1000',
    [ENV.connectAttempts]: '2',
    [ENV.fleet]: JSON.stringify(fleet),
    // As the construct fixes it: the state machine is a deciding property of the migrations resource.
    [ENV.serves]: JSON.stringify([{ type: MIGRATIONS_RESOURCE_TYPE, fixed: { [PROP.fleetStateMachine]: STATE_MACHINE } }]),
    ...more.env,
  };
  let running = 0;
  let most = 0;
  // Each Task is one invocation of the function's entry, with a Lambda-like context of its own.
  const invoke = async (payload: never) => {
    const item = isFleetTenantEvent(payload);
    if (item) most = Math.max(most, ++running);
    try {
      return await handlers.onEvent(payload, { getRemainingTimeInMillis: () => 15 * 60_000, awsRequestId: 'task' });
    } finally {
      if (item) running--;
    }
  };
  const sfn = localStepFunctions(fleetDefinition({ functionArn: FUNCTION, concurrency: Number(fleet.concurrency) }), invoke);
  const handlers: Handlers = createHandlers({ secrets, env, write: () => undefined, stepFunctions: sfn });
  const harness = new ProviderHarness({ onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never, maxIsCompleteAttempts: 600 });
  await harness.start();
  return { harness, sfn, url, invoke, most: () => most, props: { [PROP.fleetStateMachine]: STATE_MACHINE, [PROP.fleet]: JSON.stringify(fleet) } };
}

/** The tenant items the function received, in order. */
function tenantsStarted(sfn: LocalStepFunctions): string[] {
  return sfn.payloads.filter(isFleetTenantEvent).map((p) => p.fleetTenant);
}

/** The version each tenant's own state table holds (null: no table). */
async function versions(url: string, schemas: string[]): Promise<Record<string, number | null>> {
  return withClient(url, async (c) => {
    const out: Record<string, number | null> = {};
    for (const s of schemas) {
      const table = `${c.escapeIdentifier(s)}.applied_migrations`;
      const exists = (await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [table])).rows[0]!.t;
      out[s] = exists ? (await c.query<{ v: number }>(`SELECT max(version)::int AS v FROM ${table}`)).rows[0]!.v : null;
    }
    return out;
  });
}

describe('Handler: a fleet deploy through the Provider framework and the rollout on Step Functions', () => {
  it('fails the deploy naming the failing tenant, starts no later wave, and a deploy after the fix finishes the rest', async () => {
    // Prepare: 19 tenants and a hostile name; tenant_12 (the third wave: canary, 01–06, 07–12) has a table 0002 creates.
    const plain = Array.from({ length: 19 }, (_, k) => `tenant_${String(k).padStart(2, '0')}`);
    const schemas = [...plain, HOSTILE];
    const r = await rig('fleet_cr', { schemas: 'tenant\\_%', concurrency: 3, waveSize: 6 }, schemas);
    await rows(r.url, 'CREATE TABLE tenant_12.orders (x int)');
    // Act
    const failed = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props });
    // Assess: the reason names the tenant and PostgreSQL's error; the canary ran alone first, never more than 3 at once.
    expect(failed.Status).toBe('FAILED');
    expect(failed.Reason).toContain('"tenant_12"');
    expect(failed.Reason).toContain('42P07');
    expect(failed.Reason).toContain('no later wave started');
    const started = tenantsStarted(r.sfn);
    expect(started[0]).toBe('tenant_00');
    expect([...started].sort()).toEqual(plain.slice(0, 13));
    expect(r.most()).toBeLessThanOrEqual(3);
    const before = await versions(r.url, schemas);
    expect(plain.slice(0, 12).map((s) => before[s])).toEqual(Array(12).fill(2));
    // tenant_12 kept 0001 whole and nothing of 0002; the waves after it never started.
    expect(before.tenant_12).toBe(1);
    expect([...plain.slice(13), HOSTILE].map((s) => before[s])).toEqual(Array(7).fill(null));

    // Act: the table removed, deployed again.
    await rows(r.url, 'DROP TABLE tenant_12.orders');
    const done = await r.harness.send({
      RequestType: 'Update',
      ResourceProperties: r.props,
      OldResourceProperties: r.props,
      PhysicalResourceId: failed.PhysicalResourceId,
    });
    // Assess: every tenant at version 2, the hostile name too; the ones done before ran nothing again.
    expect(done.Status, done.Reason).toBe('SUCCESS');
    expect(done.Data?.[ATTR.tenants]).toBe('20 tenants in 5 waves; every tenant at version 2');
    expect(done.Data?.[ATTR.currentVersion]).toBe('2');
    expect(Object.values(await versions(r.url, schemas))).toEqual(Array(20).fill(2));
    const runs = await rows<{ n: string }>(r.url, 'SELECT count(DISTINCT applied_by)::text AS n FROM tenant_00.applied_migrations');
    expect(runs).toEqual([{ n: '1' }]);
    expect(await rows(r.url, "SELECT 1 FROM pg_namespace WHERE nspname = 'public'")).toHaveLength(1);
  });

  it('goes on past a tolerated failure and says which tenant stays behind; a fleet without tenants starts nothing', async () => {
    // Prepare: 8 tenants, one failure tolerated; tenant_3 fails in the first wave after the canary.
    const schemas = Array.from({ length: 8 }, (_, k) => `tenant_${k}`);
    const r = await rig('fleet_tol', { schemas: 'tenant\\_%', concurrency: 2, waveSize: 3, toleratedFailures: 1 }, schemas);
    await rows(r.url, 'CREATE TABLE tenant_3.orders (x int)');
    // Act
    const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props });
    // Assess: the deploy succeeds, naming the tenant that stays at version 1; every other tenant is at 2.
    expect(response.Status, response.Reason).toBe('SUCCESS');
    expect(response.Data?.[ATTR.tenants]).toMatch(
      /^8 tenants in 4 waves; 1 tenant failed, tolerated \(each stays at the version it reached\): "tenant_3": .*42P07/,
    );
    expect(Buffer.byteLength(JSON.stringify(response))).toBeLessThan(RESPONSE_LIMIT_BYTES);
    const now = await versions(r.url, schemas);
    expect(schemas.map((s) => now[s])).toEqual([2, 2, 2, 1, 2, 2, 2, 2]);

    // A pattern no schema matches: the deploy succeeds and no execution is started.
    const empty = await rig('fleet_none', { schemas: 'nobody\\_%', concurrency: 2 }, []);
    const none = await empty.harness.send({ RequestType: 'Create', ResourceProperties: empty.props });
    expect(none.Status, none.Reason).toBe('SUCCESS');
    expect(none.Data?.[ATTR.tenants]).toBe('no tenants');
    expect(empty.sfn.starts).toEqual([]);
  });

  it('stops a rollout still running when the request is nearly out of time, and fails the deploy saying what the next one does', async () => {
    // Prepare: a request of 61 s (stopped 60 s before its end: at once), a canary whose first file takes 2 s.
    const schemas = ['tenant_a', 'tenant_b', 'tenant_c'];
    const files = { '0001_slow.sql': 'SELECT pg_sleep(2);\nCREATE TABLE items (id int);\n' };
    const r = await rig('fleet_late', { schemas: 'tenant\\_%', concurrency: 2, waveSize: 2 }, schemas, { files, env: { [ENV.totalTimeoutMs]: '61000' } });
    // Act
    const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props });
    // Assess: failed, saying it was stopped and what a deploy again does; only the canary was ever started.
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain('SchemaMigrations totalTimeout): stopped');
    expect(response.Reason).toContain('deploy again: the rollout resumes with the tenants not at the latest version');
    // The local runner lets the canary's invocation run to its end: its file commits whole, as any stopped tenant's does.
    await expect.poll(async () => (await versions(r.url, schemas)).tenant_a, { timeout: 15_000 }).toBe(1);
    expect(tenantsStarted(r.sfn)).toEqual(['tenant_a']);
    expect((await versions(r.url, schemas)).tenant_b).toBeNull();
  });
  // Invoke is not authority: the tenant comes from the event, and only one the synthesized fleet names is migrated.
  it('refuses a tenant item naming a schema outside the fleet, and leaves that schema as it was', async () => {
    // Prepare: one tenant, and another service's schema the pattern does not match.
    const r = await rig('fleet_forged', { schemas: 'tenant\\_%', concurrency: 1 }, ['tenant_a', 'billing']);
    const forged = { fleetTenant: 'billing', requestType: 'Create', appliedBy: 'forged' };
    // Act
    const err = await r.invoke(forged as never).then(
      () => undefined,
      (e: Error) => e,
    );
    // Assess: refused naming the schema; no state table, nothing of the files in it.
    expect(err?.message).toContain('"billing", which is not a tenant of the fleet this function was made for');
    expect(await versions(r.url, ['billing', 'tenant_a'])).toEqual({ billing: null, tenant_a: null });
    expect((await rows(r.url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'billing'"))[0]).toEqual({ n: 0 });
  });

  it("refuses a tenant item sent to the role provisioner (the master secret's function), even for the fleet's own tenant", async () => {
    // Prepare: the same code and fleet, serving the role resource only, as the provisioner is made.
    const serves = JSON.stringify([{ type: MIGRATOR_ROLE_RESOURCE_TYPE, fixed: {} }]);
    const r = await rig('fleet_provisioner', { schemas: 'tenant\\_%', concurrency: 1 }, ['tenant_a'], { env: { [ENV.serves]: serves } });
    // Act
    const err = await r.invoke({ fleetTenant: 'tenant_a', requestType: 'Create', appliedBy: 'forged' } as never).then(
      () => undefined,
      (e: Error) => e,
    );
    // Assess: refused before it connected; the tenant has no state table.
    expect(err?.message).toContain('a tenant item came to a function that does not run the migrations');
    expect(await versions(r.url, ['tenant_a'])).toEqual({ tenant_a: null });
  });

  it('refuses a deploy event naming another state machine than the one the function was made for, starting nothing', async () => {
    // Prepare: an event whose FleetStateMachineArn is another state machine (one the role might start).
    const r = await rig('fleet_machine', { schemas: 'tenant\\_%', concurrency: 1 }, ['tenant_a']);
    const other = STATE_MACHINE.replace(/schemaguard-fleet$/, 'someone-elses');
    // Act
    const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: { ...r.props, [PROP.fleetStateMachine]: other } });
    // Assess: failed naming the property and both values; no execution, no tenant touched.
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`FleetStateMachineArn is ${JSON.stringify(other)}, and this function was deployed with ${JSON.stringify(STATE_MACHINE)}`);
    expect(r.sfn.starts).toEqual([]);
    expect(await versions(r.url, ['tenant_a'])).toEqual({ tenant_a: null });
  });
});

describe('Handler: a fleet whose tenants are named in SSM Parameter Store', () => {
  // SSM is stood in by a local server speaking its JSON protocol; the real SDK client reaches it through AWS_ENDPOINT_URL_SSM.
  const ssm = new AwsEndpoints({
    ssmPageSize: 2,
    ssmParameters: [
      { Name: '/myapp/tenants/acme', Value: 'tenant_acme', Type: 'String' },
      { Name: '/myapp/tenants/eu/globex', Value: 'tenant_globex', Type: 'String' },
      { Name: '/myapp/tenants/eu/initech', Value: 'tenant_initech', Type: 'String' },
      { Name: '/myapp/tenants/hostile', Value: HOSTILE, Type: 'String' },
      { Name: '/myapp/tenants/umbrella', Value: 'tenant_umbrella', Type: 'String' },
      { Name: '/myapp/other/billing', Value: 'billing', Type: 'String' },
    ],
  });
  const saved = { ...process.env };
  beforeAll(async () => {
    await ssm.start();
    Object.assign(process.env, ssm.env());
  });
  afterAll(async () => {
    for (const key of Object.keys(ssm.env())) if (saved[key] === undefined) delete process.env[key];
    Object.assign(process.env, saved);
    await ssm.stop();
  });
  const named = ['tenant_acme', 'tenant_globex', 'tenant_initech', HOSTILE, 'tenant_umbrella'];

  it('migrates exactly the schemas the parameters under the path name, read page by page, and refuses an item for any other', async () => {
    // Prepare: the five named schemas, one the path does not name though it matches tenant_%, and another service's schema.
    const r = await rig('fleet_ssm', { parameterPath: '/myapp/tenants/', concurrency: 2, waveSize: 2 }, [...named, 'tenant_unlisted', 'billing']);
    // Act
    const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props });
    // Assess: every named tenant at version 2 (the hostile name too), the others untouched; the canary is the first by name.
    expect(response.Status, response.Reason).toBe('SUCCESS');
    expect(response.Data?.[ATTR.tenants]).toBe('5 tenants in 3 waves; every tenant at version 2');
    expect(await versions(r.url, [...named, 'tenant_unlisted', 'billing'])).toEqual({
      ...Object.fromEntries(named.map((s) => [s, 2])),
      tenant_unlisted: null,
      billing: null,
    });
    expect(tenantsStarted(r.sfn)[0]).toBe('tenant_acme');
    // The path read recursively without its trailing slash, never decrypted, to the last page (5 parameters, 2 a page).
    const listing = ssm.ssmRequests.slice(0, 3);
    expect(listing.map((q) => [q.Path, q.Recursive, q.WithDecryption, Boolean(q.NextToken)])).toEqual([
      ['/myapp/tenants', true, undefined, false],
      ['/myapp/tenants', true, undefined, true],
      ['/myapp/tenants', true, undefined, true],
    ]);
    // A forged item naming a schema the path does not name: refused, the schema left as it was.
    const err = await r.invoke({ fleetTenant: 'tenant_unlisted', requestType: 'Create', appliedBy: 'forged' } as never).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('"tenant_unlisted", which is not a tenant of the fleet this function was made for');
    expect((await versions(r.url, ['tenant_unlisted'])).tenant_unlisted).toBeNull();
  });

  it('fails the deploy naming the parameter, not its value, when one under the path is a SecureString', async () => {
    // Prepare: a second stand-in whose path holds a SecureString.
    const secure = new AwsEndpoints({ ssmParameters: [{ Name: '/secure/tenants/a', Value: 'AQICAHsecretciphertext', Type: 'SecureString' }] });
    await secure.start();
    const before = process.env.AWS_ENDPOINT_URL_SSM;
    process.env.AWS_ENDPOINT_URL_SSM = secure.env().AWS_ENDPOINT_URL_SSM;
    try {
      const r = await rig('fleet_ssm_secure', { parameterPath: '/secure/tenants', concurrency: 1 }, ['tenant_a']);
      // Act
      const response = await r.harness.send({ RequestType: 'Create', ResourceProperties: r.props });
      // Assess: refused before any execution, naming the parameter and the fix; the value never appears.
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toContain("the SSM parameter /secure/tenants/a under the fleet's path /secure/tenants is a SecureString");
      expect(response.Reason).not.toContain('AQICAH');
      expect(r.sfn.starts).toEqual([]);
    } finally {
      process.env.AWS_ENDPOINT_URL_SSM = before;
      await secure.stop();
    }
  });
});
