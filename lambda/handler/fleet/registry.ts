/**
 * Where a fleet's tenants are named outside the database: SSM Parameter
 * Store for `parameterPath` (lambda/driver/ssm). Every reader of the
 * tenants in the function (the rollout's listing, the tenant item's "is
 * this a tenant of the fleet", the guard, the guard role's grants) takes
 * it from here, so they all read the same source.
 */
import type { Fleet } from '../../engine/fleet/fleet-spec';
import type { TenantRegistry } from '../../engine/fleet/tenants';
import { parameterStore } from '../../driver/ssm/parameter-store';

export function tenantRegistry(fleet: Fleet): TenantRegistry | undefined {
  return fleet.source === 'parameterPath' ? parameterStore() : undefined;
}
