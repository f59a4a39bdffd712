/**
 * The fleet's Step Functions workflow: its definition valid Amazon States
 * Language (asl-validator), and executed locally (aws-local-stepfunctions)
 * over 20 tenant schemas, each Task the real tenant handler against real
 * PostgreSQL: the canary before any other, each wave within MaxConcurrency,
 * and the execution ended by a failing tenant with no later wave started.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fleetDefinition, fleetInput } from '../../../lib/fleet/fleet-workflow';
import { migrateFleetTenant, type FleetTenantEvent } from '../../../lambda/handler/fleet/tenant';
import { PgDriver } from '../../../lambda/driver/pg/pg-driver';
import { parseMigration } from '../../../lambda/engine/files/source';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node.js 22); the package supports Node.js 20.11.
(Promise as unknown as { withResolvers?: unknown }).withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

afterAll(dropDatabases);

const FUNCTION = 'arn:aws:lambda:eu-west-1:123456789012:function:schemaguard-migrations';
const MIGRATIONS = [
  parseMigration('0001_items.sql', 'CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);\n'),
  parseMigration('0002_orders.sql', 'CREATE TABLE orders (id int PRIMARY KEY, item_id int REFERENCES items (id));\n'),
];

describe('Workflow: the fleet rollout', () => {
  it('is valid Amazon States Language', async () => {
    // No types of its own: its one function, as its README describes it.
    const { default: validate } = (await import('asl-validator' as string)) as { default: (d: unknown) => { isValid: boolean; errors: unknown[] } };
    const { isValid, errors } = validate(fleetDefinition({ functionArn: FUNCTION, concurrency: 4 }));
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('runs the canary first, then waves within MaxConcurrency, and stops at a failing tenant', async () => {
    // Prepare: 20 tenants; tenant_12 (wave 2 of 1 + waves of 6) has a table 0002 creates.
    const url = await freshDatabase(targets[0]!, 'fleet_sfn');
    const names = Array.from({ length: 20 }, (_, k) => `tenant_${String(k).padStart(2, '0')}`);
    await rows(url, `${names.map((n) => `CREATE SCHEMA ${n}`).join(';')}; CREATE TABLE tenant_12.orders (x int)`);
    const log = { running: 0, most: 0, started: [] as string[] };
    // As the lambda:invoke integration calls the function: its Payload is the function's event, its answer the Payload.
    const handler = async ({ Payload: event }: { Payload: FleetTenantEvent }) => {
      log.started.push(event.fleetTenant);
      log.running++;
      log.most = Math.max(log.most, log.running);
      try {
        const report = await migrateFleetTenant(event, {
          migrations: MIGRATIONS,
          driverFor: (t) => new PgDriver({ connectionString: url, searchPath: t.name }),
          stateSchemaOf: (t) => t.name,
          appliedBy: 'test:fleet-workflow',
        });
        return { Payload: report };
      } finally {
        log.running--;
      }
    };
    const { StateMachine } = await import('aws-local-stepfunctions');
    const machine = new StateMachine(fleetDefinition({ functionArn: FUNCTION, concurrency: 3 }) as never);
    const input = fleetInput(
      names.map((name) => ({ name })),
      { waveSize: 6 },
    );
    // Act
    const execution = machine.run(input, { overrides: { taskResourceLocalHandlers: { Canary: handler as never, Tenant: handler as never } } });
    const failure = await execution.result.then(
      () => undefined,
      (e: Error) => e,
    );
    // Assess: canary alone, waves 1 (01-06) and 2 (07-12) ran, wave 3 (13-18) and 4 (19) never started.
    expect(failure, JSON.stringify(log.started)).toBeDefined();
    expect(String((failure as { cause?: unknown })?.cause ?? failure)).toContain('tenant_12');
    expect(log.started[0]).toBe('tenant_00');
    expect([...log.started].sort()).toEqual(names.slice(0, 13));
    expect(log.most).toBeLessThanOrEqual(3);
    const orders = await rows<{ s: string }>(
      url,
      "SELECT n.nspname AS s FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'applied_migrations' ORDER BY 1",
    );
    expect(orders.map((o) => o.s)).toEqual(names.slice(0, 13));
    const failed = await rows<{ n: string }>(url, 'SELECT count(*)::text AS n FROM tenant_12.applied_migrations');
    expect(failed).toEqual([{ n: '1' }]);
  });
});
