/**
 * A SchemaMigrations per migrations folder, synthesised as `cdk synth` does
 * (asset metadata on): what reaches the deploy for each, the handler's
 * environment, the custom resource's properties and the asset directory the
 * function's code is, for tests of the generators' layouts at synth and in
 * the handler. A Prisma folder as `prisma migrate dev` writes one.
 */
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { MigrationLayout } from '../../lambda/engine/files/layout';
import { ENV } from '../../lambda/handler/constants';
import { SchemaMigrations } from '../../lib/schema-migrations';
import { tempDir } from './files';

export interface Synthesised {
  /** The onEvent handler's environment variables. */
  env: Record<string, unknown>;
  /** The custom resource's properties (FilesHash, LatestVersion, MigrationCount …). */
  props: Record<string, unknown>;
  /** The function's code asset in the assembly. */
  assetDir: string;
}

/** One stack with a SchemaMigrations per folder (an instance each), synthesised. */
export function synthLayouts(folders: { migrationsDir: string; migrationsLayout?: MigrationLayout }[]): Synthesised[] {
  const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Layouts');
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const sg = new ec2.SecurityGroup(stack, 'DbSg', { vpc });
  const built = folders.map((f, k) => {
    const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(stack, `Db${k}`, {
      instanceIdentifier: `db${k}`,
      instanceEndpointAddress: `db${k}.example.internal`,
      port: 5432,
      securityGroups: [sg],
    });
    const secret = new secretsmanager.Secret(stack, `Secret${k}`);
    // An empty contracts folder: not the working directory's ./contracts.
    return new SchemaMigrations(stack, `Migrations${k}`, { secret, database, vpc, outputs: false, contractsDir: tempDir({}, 'contracts'), ...f });
  });
  const template = Template.fromStack(stack);
  const assembly = app.synth();
  return built.map((m) => {
    const fnId = stack.getLogicalId(m.onEventHandler.node.defaultChild as never);
    const fn = template.toJSON().Resources[fnId] as { Metadata: Record<string, string>; Properties: { Environment: { Variables: Record<string, unknown> } } };
    const cr = Object.values(template.findResources('Custom::SchemaMigrations', { Properties: Match.objectLike({ FilesHash: m.files.hash }) }))[0]!;
    return {
      env: fn.Properties.Environment.Variables,
      props: cr.Properties as Record<string, unknown>,
      assetDir: join(assembly.directory, fn.Metadata['aws:asset:path']!),
    };
  });
}

/** The layout the handler is told, from a synthesised function's environment. */
export const layoutOfHandler = (s: Synthesised): unknown => s.env[ENV.migrationsLayout];
