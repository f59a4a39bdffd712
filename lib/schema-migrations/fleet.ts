/** The fleet SchemaMigrations rolls out: `fleet`, else the project file's; checked, and refused where a fleet cannot go. */
import { ArnFormat, type Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { fleetOf, FleetSpecError, readFleetSpec, type Fleet } from '../../lambda/engine/fleet/fleet-spec';
import { FLEET_STOP_MARGIN_MS } from '../../lambda/handler/constants';
import type { ProjectConfig } from '../config/load';
import { proxyEnvironment } from '../database-auth';
import type { SchemaMigrationsProps } from './props';
import type { MigrationsTarget } from './target';

/** The fleet the construct rolls out: `fleet`, else the project file's; checked, and refused where a fleet cannot go. */
export function resolveFleet(props: SchemaMigrationsProps, project: ProjectConfig, target: MigrationsTarget, queryInterval: Duration): Fleet | undefined {
  const spec = props.fleet ?? project.settings.fleet;
  if (spec === undefined) return undefined;
  const where = props.fleet !== undefined ? '"fleet"' : `"fleet" in ${project.file}`;
  let fleet: Fleet;
  try {
    fleet = fleetOf(readFleetSpec(spec));
  } catch (e) {
    if (!(e instanceof FleetSpecError)) throw e;
    throw new Error(`SchemaMigrations: ${where} ${e.problem}; ${e.fix}`);
  }
  if (target.kind === 'data-api')
    throw new Error(
      `SchemaMigrations: ${where} names a fleet, and "dataApiCluster" migrates through the RDS Data API: a fleet's tenants are reached over a connection (each schema searched first, or each database connected to); pass "database" and "vpc" instead`,
    );
  if (!fleet.databases && proxyEnvironment(target.database))
    throw new Error(
      `SchemaMigrations: ${where} names tenant schemas, and "database" is a pooler (an RDS Proxy): each tenant's sessions search its schema, a setting a pooler cannot keep; pass the instance or cluster itself as "database"`,
    );
  refuseLateStop(queryInterval);
  return fleet;
}

/**
 * With `parameterPath`: ssm:GetParametersByPath on that path alone, which is
 * what the call is authorized against (not the parameters it returns:
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-retrieval-authorization.html).
 * No kms:Decrypt: a SecureString under the path is refused, never decrypted.
 */
export function fleetRegistryStatement(scope: Construct, fleet: Fleet | undefined): iam.PolicyStatement | undefined {
  if (fleet?.source !== 'parameterPath') return undefined;
  return new iam.PolicyStatement({
    sid: 'ReadTheFleetTenants',
    actions: ['ssm:GetParametersByPath'],
    resources: [
      Stack.of(scope).formatArn({ service: 'ssm', resource: 'parameter', resourceName: fleet.value.slice(1), arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
    ],
  });
}

/** A rollout still running in the last minute of totalTimeout is stopped by isComplete: one call must fall in that minute. */
function refuseLateStop(queryInterval: Duration): void {
  const margin = FLEET_STOP_MARGIN_MS / 1000;
  if (queryInterval.toSeconds() < margin) return;
  throw new Error(
    `SchemaMigrations: "queryInterval" is ${queryInterval.toSeconds()} s with a fleet; use less than ${margin} s: a rollout still running ${margin} s before "totalTimeout" is stopped by the next isComplete, which must come before the Provider framework's timeout (that fails the deploy and leaves the rollout running)`,
  );
}
