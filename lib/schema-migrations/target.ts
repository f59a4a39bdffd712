import { Resource, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct, type IDependable } from 'constructs';
import { proxyEnvironment } from '../database-auth';
import { andList } from '../../lambda/engine/errors/words';
import type { SchemaMigrationsProps } from './props';

/**
 * With IAM authentication the handler has no secret to read the host from: the database's endpoint must be
 * in its environment, and from another stack it would be an export, which blocks replacing the database.
 */
export function refuseIamAcrossStacks(scope: Construct, database: unknown): void {
  if (Construct.isConstruct(database) && Stack.of(database) === Stack.of(scope)) return;
  throw new Error(
    `SchemaMigrations: with "iamAuthentication" the handler takes the host from the database construct, and ${Construct.isConstruct(database) ? `${database.node.path} is in another stack` : 'the database is not a construct'}; ` +
      "create SchemaMigrations in the database's stack (a cross-stack export of its endpoint would block replacing it), or use a secret that holds the host",
  );
}

/** Host and port of an rds.DatabaseInstance's or DatabaseCluster's endpoint; undefined for another connectable (a proxy). */
export function databaseEndpoint(database: unknown): { host: string; port: string } | undefined {
  const db = database as Partial<rds.IDatabaseInstance & rds.IDatabaseCluster>;
  if (db.dbInstanceEndpointAddress && db.dbInstanceEndpointPort) return { host: db.dbInstanceEndpointAddress, port: db.dbInstanceEndpointPort };
  if (db.clusterEndpoint) return { host: db.clusterEndpoint.hostname, port: Token.asString(db.clusterEndpoint.port) };
  return undefined;
}

/** Where the migrations run: over a connection from the VPC, or through the Data API. */
export type MigrationsTarget =
  | {
      readonly kind: 'connection';
      readonly vpc: ec2.IVpc;
      readonly vpcSubnets: ec2.SubnetSelection;
      readonly database: ec2.IConnectable & IDependable;
      readonly port: ec2.Port;
      readonly secretsManagerEndpoint?: ec2.IConnectable;
      readonly cloudFormationEndpoint?: ec2.IConnectable;
      readonly stepFunctionsEndpoint?: ec2.IConnectable;
      readonly ssmEndpoint?: ec2.IConnectable;
    }
  | { readonly kind: 'data-api'; readonly cluster: rds.IDatabaseCluster };

export type ConnectionTarget = Extract<MigrationsTarget, { kind: 'connection' }>;

/** The construct the migrations run on: the connection's database, or the Data API's cluster. */
export function targetDatabase(target: MigrationsTarget): IDependable {
  return target.kind === 'connection' ? target.database : target.cluster;
}

/** The props that belong to a connection (DirectConnectionProps), refused beside `dataApiCluster`. */
export const CONNECTION_PROPS = [
  'database',
  'vpc',
  'vpcSubnets',
  'port',
  'secretsManagerEndpoint',
  'cloudFormationEndpoint',
  'stepFunctionsEndpoint',
  'ssmEndpoint',
] as const;

/**
 * How the function reaches the database. The types allow one way only; this
 * refuses the mixed or missing props a JavaScript app (or a cast) can still pass.
 */
export function resolveTarget(props: SchemaMigrationsProps): MigrationsTarget {
  const cluster = props.dataApiCluster;
  if (cluster !== undefined) {
    // The types allow none of them here; a JavaScript app may pass them.
    const mixed = CONNECTION_PROPS.filter((k) => props[k] !== undefined);
    if (mixed.length) {
      throw new Error(
        `SchemaMigrations: "dataApiCluster" runs the function outside the VPC over the RDS Data API; remove ${mixed.map((k) => `"${k}"`).join(', ')} (they are for a connection)`,
      );
    }
    refuseDataApiOff(cluster);
    return { kind: 'data-api', cluster };
  }
  if (props.database === undefined || props.vpc === undefined) {
    throw new Error(
      'SchemaMigrations: pass "database" and "vpc" (migrate over a connection), or "dataApiCluster" (an Aurora cluster with the Data API enabled)',
    );
  }
  const { database, vpc } = props;
  // RDS Proxy listens on 5432 for PostgreSQL, and its connections carry no default port.
  const port = props.port ?? database.connections.defaultPort ?? (proxyEnvironment(database) ? ec2.Port.tcp(5432) : undefined);
  if (!port) {
    throw new Error(
      'SchemaMigrations: "port" is not set and the database has no connections.defaultPort; pass port: ec2.Port.tcp(5432) (or the database\'s port)',
    );
  }
  return {
    kind: 'connection',
    vpc,
    vpcSubnets: props.vpcSubnets ?? defaultSubnets(vpc),
    database,
    port,
    secretsManagerEndpoint: props.secretsManagerEndpoint,
    cloudFormationEndpoint: props.cloudFormationEndpoint,
    stepFunctionsEndpoint: props.stepFunctionsEndpoint,
    ssmEndpoint: props.ssmEndpoint,
  };
}

/**
 * The default subnets, when the VPC has them. `new ec2.Vpc(…)` has no isolated subnets, and CDK's own
 * "There are no 'Isolated' subnet groups in this VPC" names neither this construct nor the prop that fixes it.
 */
export function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  const isolated = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  try {
    vpc.selectSubnets(isolated);
  } catch (cause) {
    const types = (
      [
        ['PRIVATE_WITH_EGRESS', vpc.privateSubnets],
        ['PUBLIC', vpc.publicSubnets],
      ] as const
    )
      .filter(([, subnets]) => subnets.length > 0)
      .map(([type]) => type);
    throw new Error(
      `SchemaMigrations: "vpcSubnets" is not set, and its default, { subnetType: PRIVATE_ISOLATED }, selects nothing: the VPC ${vpc.node.path} has no isolated subnets (it has ${andList(types) || 'none'}); ` +
        'pass the subnets the function runs in, e.g. vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } (the private subnets of new ec2.Vpc(…), which reach Secrets Manager through their NAT gateway)',
      { cause },
    );
  }
  return isolated;
}

/**
 * The Data API must be on already: SchemaMigrations reads the cluster's
 * setting and never writes it. The cluster's own grantDataApiAccess refuses a
 * cluster with `enableDataApi: false` but turns the setting on when it was
 * left unset (it assigns the field, which the CfnDBCluster's EnableHttpEndpoint
 * renders lazily); done here, that would change a resource of the user's
 * behind their back — the cluster's template would differ from what its own
 * props say, and removing SchemaMigrations would turn the Data API off again.
 * CDK has no way to enable it without that write, so an unset setting is
 * refused as `false` is, with the one-word fix. grantDataApiAccess is not called
 * either: it would also grant rds-data:BatchExecuteStatement, which the driver
 * never calls, and read access to the cluster's own secret rather than `secret`
 * (dataApiStatement and secretStatements grant exactly what the handler uses).
 */
export function refuseDataApiOff(cluster: rds.IDatabaseCluster): void {
  // rds.DatabaseCluster and the imported clusters keep the setting in this field (imported: `dataApiEnabled`, else false);
  // an IDatabaseCluster of another kind has none, and is taken as it is.
  if (!('enableDataApi' in cluster)) return;
  const setting = (cluster as { enableDataApi?: boolean }).enableDataApi;
  if (setting === true) return;
  const fix = Resource.isOwnedResource(cluster)
    ? 'set enableDataApi: true on the cluster (SchemaMigrations does not change your cluster)'
    : 'enable the Data API on the cluster and import it with dataApiEnabled: true (DatabaseCluster.fromDatabaseClusterAttributes; fromLookup reads the setting from the cluster)';
  const state = setting === false ? 'has the Data API disabled (enableDataApi: false)' : 'leaves enableDataApi unset, so the Data API is off';
  throw new Error(
    `SchemaMigrations: "dataApiCluster" ${cluster.node.path} ${state}, and the handler migrates through it; ${fix}, ` +
      'or migrate over a connection: "database" and "vpc" instead of "dataApiCluster"',
  );
}
