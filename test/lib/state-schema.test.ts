/**
 * The state schema of SchemaMigrations: validated as the CLI's --state-schema,
 * passed to the handler (and the guard), and claimed once per database in an
 * app, so two SchemaMigrations never share one applied_migrations table.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../lambda/handler/constants';
import { SchemaGuard } from '../../lib/schema-guard';
import { SchemaMigrations } from '../../lib/schema-migrations';
import { tempDir } from '../support/files';

const ordersDir = tempDir({ '1_orders.sql': 'CREATE SCHEMA orders;\nCREATE TABLE orders.o (id int);\n' });
const billingDir = tempDir({ '1_billing.sql': 'CREATE SCHEMA billing;\nCREATE TABLE billing.b (id int);\n' });

function databaseStack(app = new App()): { s: Stack; vpc: ec2.Vpc; db: rds.DatabaseInstance } {
  const s = new Stack(app, 'Db');
  const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const db = new rds.DatabaseInstance(s, 'Db', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_17 }),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    credentials: rds.Credentials.fromGeneratedSecret('postgres'),
    databaseName: 'app',
  });
  return { s, vpc, db };
}

const handlerEnv = (s: Stack) =>
  Object.values(Template.fromStack(s).findResources('AWS::Lambda::Function', { Properties: { Handler: 'index.onEvent' } })).map(
    (f) => f.Properties.Environment.Variables as Record<string, unknown>,
  );

describe('SchemaMigrations: stateSchema', () => {
  // Regression (tester): two SchemaMigrations on one database synthesised, and the second deploy failed on the first one's checksums in the shared schemaguard.applied_migrations.
  it('refuses a second SchemaMigrations on the same database and state schema, naming both paths and the fix', () => {
    const { s, vpc, db } = databaseStack();
    new SchemaMigrations(s, 'Orders', { database: db, secret: db.secret!, vpc, migrationsDir: ordersDir, databaseName: 'app' });
    expect(() => new SchemaMigrations(s, 'Billing', { database: db, secret: db.secret!, vpc, migrationsDir: billingDir, databaseName: 'app' })).toThrow(
      'SchemaMigrations: Db/Billing and Db/Orders both migrate the database Db/Db, database name "app", with the state schema "schemaguard": ' +
        "they would share the state table schemaguard.applied_migrations and the runner lock, and the second deploy would fail on the other's checksums. " +
        'Give each its own "stateSchema" (e.g. stateSchema: \'orders_schemaguard\'; the CLI takes it as --state-schema), or use one SchemaMigrations with one migrations folder for the database',
    );
  });

  it('refuses the same secret and database name though the database is imported a second time (another construct)', () => {
    const app = new App();
    const { vpc, db } = databaseStack(app);
    const service = new Stack(app, 'Service');
    new SchemaMigrations(service, 'Orders', { database: db, secret: db.secret!, vpc, migrationsDir: ordersDir });
    const sg = ec2.SecurityGroup.fromSecurityGroupId(service, 'DbSg', 'sg-12345678');
    const imported = rds.DatabaseInstance.fromDatabaseInstanceAttributes(service, 'Imported', {
      instanceIdentifier: 'db',
      instanceEndpointAddress: 'db.internal',
      port: 5432,
      securityGroups: [sg],
    });
    expect(() => new SchemaMigrations(service, 'Billing', { database: imported, secret: db.secret!, vpc, migrationsDir: billingDir })).toThrow(
      /^SchemaMigrations: Service\/Billing and Service\/Orders both migrate the secret Db\/Db\/Secret\/Attachment, database name "\(the secret's dbname\)", with the state schema "schemaguard"/,
    );
  });

  it('two services on one database, each with its own stateSchema, synthesise, and each handler (and guard) is told its schema', () => {
    const app = new App();
    const { vpc, db } = databaseStack(app);
    const service = new Stack(app, 'Service');
    const orders = new SchemaMigrations(service, 'Orders', {
      database: db,
      secret: db.secret!,
      vpc,
      migrationsDir: ordersDir,
      databaseName: 'app',
      stateSchema: 'orders_schemaguard',
    });
    new SchemaMigrations(service, 'Billing', {
      database: db,
      secret: db.secret!,
      vpc,
      migrationsDir: billingDir,
      databaseName: 'app',
      stateSchema: 'billing_schemaguard',
    });
    new SchemaGuard(service, 'OrdersGuard', { migrations: orders, roleName: 'orders_guard' });
    expect(orders.stateSchema).toBe('orders_schemaguard');
    expect(
      handlerEnv(service)
        .map((e) => e[ENV.stateSchema])
        .sort(),
    ).toEqual(['billing_schemaguard', 'orders_schemaguard']);
    Template.fromStack(service).hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.guard',
      Environment: { Variables: Match.objectLike({ [ENV.stateSchema]: 'orders_schemaguard' }) },
    });
  });

  it('different database names on one instance need no stateSchema; the default is not written into the environment', () => {
    const { s, vpc, db } = databaseStack();
    const a = new SchemaMigrations(s, 'A', { database: db, secret: db.secret!, vpc, migrationsDir: ordersDir, databaseName: 'orders' });
    new SchemaMigrations(s, 'B', { database: db, secret: db.secret!, vpc, migrationsDir: billingDir, databaseName: 'billing' });
    expect(a.stateSchema).toBe('schemaguard');
    expect(handlerEnv(s).map((e) => e[ENV.stateSchema])).toEqual([undefined, undefined]);
  });

  it.each([
    ['', /"stateSchema": "" is not a usable schema name; use 1 to 63 bytes without NUL, e.g. schemaguard \(the CLI's --state-schema takes the same names\)/],
    ['x'.repeat(64), /is not a usable schema name; use 1 to 63 bytes/],
    ['pg_state', /"stateSchema": "pg_state" begins with pg_, which PostgreSQL reserves for system schemas; use a name without the pg_ prefix/],
  ])('refuses stateSchema %j as the CLI does, naming the value and the fix', (stateSchema, message) => {
    const { s, vpc, db } = databaseStack();
    expect(() => new SchemaMigrations(s, 'M', { database: db, secret: db.secret!, vpc, migrationsDir: ordersDir, stateSchema })).toThrow(message);
  });
});
