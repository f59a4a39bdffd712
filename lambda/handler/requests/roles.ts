/** The role resources (the guard's, the migrator's): their onEvent, and what a rollback answers instead of failing. */
import { GUARD_ROLE_ATTR, GUARD_ROLE_PHYSICAL_ID_PREFIX, GUARD_ROLE_PROP, GUARD_ROLE_RESOURCE_TYPE, MIGRATOR_ROLE_RESOURCE_TYPE, OUTCOME } from '../constants';
import { guardRoleOnEvent } from '../guard/role';
import { migratorRoleOnEvent } from '../migrator/role';
import { physicalResourceId, type OnEventResponse } from '../request';
import type { RollbackAnswer } from './invocation';

/** The migrator's role keeps its physical id during a rollback: a changed one would make CloudFormation delete the role. */
const migratorRoleRollbackAnswer: RollbackAnswer<OnEventResponse> = (_problem, inv) => ({ PhysicalResourceId: physicalResourceId(inv.event) });

/** The guard role keeps its physical id (the role's name) and says the rollback met a problem. */
const guardRoleRollbackAnswer: RollbackAnswer<OnEventResponse> = (_problem, inv) => {
  const roleName = inv.event.ResourceProperties?.[GUARD_ROLE_PROP.roleName];
  const named = typeof roleName === 'string' ? roleName : '';
  return {
    PhysicalResourceId: named ? `${GUARD_ROLE_PHYSICAL_ID_PREFIX}-${named}` : physicalResourceId(inv.event),
    Data: { [GUARD_ROLE_ATTR.roleName]: named, [GUARD_ROLE_ATTR.outcome]: OUTCOME.rollbackProblem },
  };
};

/** The role resources of the provider, by their type: what onEvent does, and what a rollback answers instead of failing. */
export const ROLE_HANDLERS: Record<string, { onEvent: typeof guardRoleOnEvent; rollbackAnswer: RollbackAnswer<OnEventResponse> } | undefined> = {
  [GUARD_ROLE_RESOURCE_TYPE]: { onEvent: guardRoleOnEvent, rollbackAnswer: guardRoleRollbackAnswer },
  [MIGRATOR_ROLE_RESOURCE_TYPE]: { onEvent: migratorRoleOnEvent, rollbackAnswer: migratorRoleRollbackAnswer },
};
