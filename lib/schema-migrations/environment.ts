import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULTS } from '../../lambda/handler/constants';
import type { ContractInput } from '../../lambda/handler/contract';
import { authEnvironment, proxyEnvironment, type DatabaseAuth } from '../database-auth';
import type { SchemaMigrationsProps } from './props';
import type { Settings } from './settings';
import { type MigrationsTarget, databaseEndpoint } from './target';

/** The handler's configuration: where its files are, which secret, and the optional settings. No secret value. */
export function handlerEnvironment(
  scope: Construct,
  props: SchemaMigrationsProps,
  settings: Settings,
  auth: DatabaseAuth,
  target: MigrationsTarget,
): ContractInput {
  // The endpoint, for a secret without a host (an RDS-managed master secret, manageMasterUserPassword): the secret's host comes first.
  // Only from the construct's own stack: from another, it would be an export that blocks replacing the database.
  const sameStack = target.kind === 'connection' && Construct.isConstruct(target.database) && Stack.of(target.database) === Stack.of(scope);
  const endpoint = sameStack ? databaseEndpoint(target.database) : undefined;
  return {
    ...authEnvironment(auth),
    ...(target.kind === 'connection' ? proxyEnvironment(target.database) : {}),
    migrationsDir: DEFAULTS.migrationsDir,
    migrationsLayout: settings.migrationsLayout,
    contractsDir: DEFAULTS.contractsDir,
    reserveMs: settings.reserve.toMilliseconds(),
    // A busy runner lock is tried for again in each isComplete, until the next try would end past this.
    totalTimeoutMs: settings.totalTimeout.toMilliseconds(),
    snapshotFile: settings.snapshotFile ? DEFAULTS.snapshotFile : '',
    lockTimeoutMs: settings.lockTimeoutMs,
    failOnDrift: props.failOnDrift === true,
    replicationPlanned: props.replicationPlanned || undefined,
    standbyWaitMs: settings.standbyWaitMs,
    standbyStrict: settings.standbyStrict,
    backfill: Object.keys(settings.backfill).length > 0 ? settings.backfill : undefined,
    databaseName: props.databaseName || undefined,
    databaseLogGroup: props.databaseLogGroupName || undefined,
    clusterArn: target.kind === 'data-api' ? target.cluster.clusterArn : undefined,
    ...(endpoint ? { endpointHost: endpoint.host, endpointPort: endpoint.port } : {}),
  };
}
