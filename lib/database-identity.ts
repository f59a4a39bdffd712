/**
 * The database's identity, put in the properties of the custom resources
 * that work on it (SchemaMigrations' and the guard role's): a change that
 * replaces the instance or cluster (a new database name, a restore from a
 * snapshot, another engine) gives the new one another identity, so
 * CloudFormation sends those resources an Update in the deploy that replaces
 * it, and the new, empty database is migrated before anything that depends
 * on it moves on.
 *
 * The identity is the instance's `DbiResourceId` or the cluster's
 * `DBClusterResourceId` ("the AWS Region-unique, immutable identifier" RDS
 * gives each), else its endpoint address. It is taken only from a database of
 * the construct's own stack: from another stack the reference would be a
 * CloudFormation export, and an export another stack imports cannot change —
 * the database's own stack could then never replace it.
 */
import { Annotations, Stack } from 'aws-cdk-lib';
import type * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';

/** What the identity was read from; `undefined` when the database is unknown or in another stack. */
export interface DatabaseIdentity {
  /** The value (a token resolved at deploy time, or a literal for an imported database). */
  readonly value: string;
  /** Where it comes from, for the docs and messages: `DbiResourceId`, `DBClusterResourceId` or `endpoint`. */
  readonly source: 'DbiResourceId' | 'DBClusterResourceId' | 'endpoint';
}

/**
 * The identity of `database` for `scope`'s resource properties. A database
 * of another stack gives none, and a warning saying that replacing it then
 * needs a raised `revision`.
 */
export function databaseIdentity(scope: Construct, database: unknown, revisionProp: string): DatabaseIdentity | undefined {
  if (!Construct.isConstruct(database)) return undefined;
  if (Stack.of(database) !== Stack.of(scope)) {
    Annotations.of(scope).addWarningV2(
      'schemaguard:databaseInAnotherStack',
      `the database ${database.node.path} is in another stack (${Stack.of(database).stackName}), so its identity is not in the custom resource's properties: ` +
        'a reference to it would be a CloudFormation export, which cannot change while this stack imports it, and the database could then never be replaced. ' +
        `A replaced database is migrated only when this stack deploys with changed files or a raised "${revisionProp}": raise it in the deploy after the replacement, ` +
        "or put the migrations in the database's stack",
    );
    return undefined;
  }
  return ownIdentity(database as Partial<rds.IDatabaseInstance & rds.IDatabaseCluster>);
}

/** DbiResourceId or DBClusterResourceId when the construct has it (an imported one may not), else the endpoint. */
function ownIdentity(db: Partial<rds.IDatabaseInstance & rds.IDatabaseCluster>): DatabaseIdentity | undefined {
  if (db.instanceResourceId) return { value: db.instanceResourceId, source: 'DbiResourceId' };
  const clusterId = clusterResourceId(db);
  if (clusterId) return { value: clusterId, source: 'DBClusterResourceId' };
  if (db.dbInstanceEndpointAddress) return { value: db.dbInstanceEndpointAddress, source: 'endpoint' };
  const endpoint = readOrUndefined(() => db.clusterEndpoint?.hostname);
  return endpoint ? { value: endpoint, source: 'endpoint' } : undefined;
}

function clusterResourceId(db: Partial<rds.IDatabaseCluster>): string | undefined {
  return readOrUndefined(() => db.clusterResourceIdentifier);
}

/** An imported cluster throws on reading an attribute it was imported without. */
function readOrUndefined<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
