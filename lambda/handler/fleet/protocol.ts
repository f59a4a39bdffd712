/**
 * What the fleet's rollout on Step Functions passes around: the execution's
 * input (the custom resource's onEvent builds it, rollout.ts), one tenant
 * item (the workflow invokes the migration function with it, tenant.ts), the
 * errors a tenant item ends with (the workflow's Retry and Catch name them)
 * and what a finished execution says (its output, or a failed one's cause).
 * Names and types only, no imports: the workflow (lib/fleet/fleet-workflow.ts)
 * and the handler read the same ones, so a rename breaks the compiler, not the
 * deploy.
 */

/** The field that marks a tenant item; a CloudFormation event never has it. */
export const FLEET_TENANT_FIELD = 'fleetTenant';

/** One tenant item: the tenant's name (a schema or a database), and what its run records and allows. */
export interface FleetTenantEvent {
  [FLEET_TENANT_FIELD]: string;
  /** The custom resource's request type: an Update may find the tenant ahead of the files (a rollback), a Create may not. */
  requestType: 'Create' | 'Update';
  /** Written in the tenant's state rows (`applied_by`), as for one database. */
  appliedBy: string;
}

export function isFleetTenantEvent(event: unknown): event is FleetTenantEvent {
  return typeof (event as FleetTenantEvent | undefined)?.[FLEET_TENANT_FIELD] === 'string';
}

/** The execution's input: the waves in order (the canary alone first), and what each item carries. */
export interface FleetExecutionInput {
  waves: string[][];
  /** How many tenants the waves hold. */
  tenants: number;
  /** Failed tenants the rollout goes on after, counted over the run (the canary's failure always stops it). */
  tolerated: number;
  requestType: FleetTenantEvent['requestType'];
  appliedBy: string;
}

/** A wave's result for one tenant: its version, or the Task's Error and Cause (the function's error as JSON) when it failed. */
export type FleetItemResult = { version: number | null } | { name: string; error: string; cause: string };

/** A failed tenant, as the rollout keeps it: its name and why. */
export interface FleetFailure {
  name: string;
  message: string;
}

/** The field that marks a tally item: after each wave, the function counts its failures and says whether the rollout stops. */
export const FLEET_TALLY_FIELD = 'fleetTally';

/** A tally item: the wave's results, and the count so far. */
export interface FleetTallyEvent {
  [FLEET_TALLY_FIELD]: {
    /** The wave's index (0: the canary). */
    wave: number;
    results: FleetItemResult[];
    failedCount: number;
    failures: FleetFailure[];
    tolerated: number;
  };
}

export function isFleetTallyEvent(event: unknown): event is FleetTallyEvent {
  const tally = (event as FleetTallyEvent | undefined)?.[FLEET_TALLY_FIELD];
  return typeof tally === 'object' && tally !== null && Array.isArray(tally.results);
}

/** The tally's answer: the count over the run, the failures kept (the first few in full), and the stop. */
export interface FleetTally {
  failedCount: number;
  failures: FleetFailure[];
  /** Why the rollout stops after this wave; empty to go on. */
  stopped: string;
  /** What the failed execution's cause says (a FleetExecutionOutput as JSON), when it stops. */
  cause: string;
}

/** What an execution ends with: the output of one that succeeded, the cause of one that failed (as JSON). */
export interface FleetExecutionOutput {
  /** The tenants (a succeeded execution's; absent from a failed one's cause). */
  tenants?: number;
  /** The waves, the canary's included. */
  count?: number;
  failedCount: number;
  failures: FleetFailure[];
  /** Why it stopped; absent when every wave ran. */
  stopped?: string;
}

/**
 * The errors of a tenant item, as Step Functions sees them (the error's name):
 * `unfinished` and `busy` are retried by the workflow (the tenant's run
 * stopped between files at the invocation's deadline, or another runner held
 * its lock); `failed` is not: the tenant keeps the version it reached whole.
 * `rollout` ends a failed execution, its cause the failures as JSON.
 */
export const FLEET_ERRORS = {
  failed: 'FleetTenantError',
  unfinished: 'FleetTenantUnfinished',
  busy: 'FleetTenantBusy',
  rollout: 'FleetRolloutFailed',
} as const;
