/**
 * What names a fleet, as the project file's `fleet` holds it (and the CLI's
 * `--fleet-*` flags fill it): where the tenants come from (exactly one of
 * the five sources) and how the rollout runs them. Checked here, once, for
 * the project file, the flags, the handler's environment and the
 * constructs.
 */
import { DEFAULT_FLEET_CONCURRENCY, DEFAULT_FLEET_WAVE_SIZE } from '../defaults';
import { present } from '../errors/present';

/** Where the tenants come from: schemas of the target database, or databases of its server; by a LIKE pattern or by a query; or schemas named in SSM Parameter Store. */
export type FleetSourceKey = 'schemas' | 'schemaQuery' | 'databases' | 'databaseQuery' | 'parameterPath';

export const FLEET_SOURCES: readonly FleetSourceKey[] = ['schemas', 'schemaQuery', 'databases', 'databaseQuery', 'parameterPath'];

export interface FleetSpec {
  /** A LIKE pattern of schema names in the target database (`tenant\_%`): each one is a tenant. */
  schemas?: string;
  /** A query on the target database whose first column is the tenants' schema names. */
  schemaQuery?: string;
  /** A LIKE pattern of database names on the target server: each one is a tenant. */
  databases?: string;
  /** A query on the target database whose first column is the tenants' database names on its server. */
  databaseQuery?: string;
  /**
   * An SSM Parameter Store path (`/myapp/tenants`), read at run time: the
   * value of each String parameter under it (at any depth) is a tenant's
   * schema name in the target database. Only names: the endpoint and the
   * credentials stay the target's.
   */
  parameterPath?: string;
  /** The tenant migrated first, alone: a failure there stops the rollout. @default - the first tenant by name */
  canary?: string;
  /** Tenants at work at once. @default 10 */
  concurrency?: number;
  /** Tenants in a wave: the next wave starts once this one is done. @default 50 */
  waveSize?: number;
  /** Failed tenants the rollout goes on after (counted over the run); one more stops it at the end of its wave. @default 0 */
  toleratedFailures?: number;
}

/** The spec with its defaults, its source said. */
export interface Fleet extends Required<Pick<FleetSpec, 'concurrency' | 'waveSize' | 'toleratedFailures'>> {
  source: FleetSourceKey;
  /** The pattern or the query of `source`. */
  value: string;
  canary?: string;
  /** Tenants are databases (else schemas of the target database). */
  databases: boolean;
}

/** What is wrong with a fleet spec, and the fix (the caller names where it came from). */
export class FleetSpecError extends Error {
  constructor(
    readonly problem: string,
    readonly fix: string,
  ) {
    super(problem);
    this.name = 'FleetSpecError';
  }
}

const NUMBERS = ['concurrency', 'waveSize', 'toleratedFailures'] as const;
const KEYS: readonly string[] = [...FLEET_SOURCES, 'canary', ...NUMBERS];

/** A fleet spec read from JSON (the project file's `fleet`), checked; throws FleetSpecError. */
export function readFleetSpec(value: unknown): FleetSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FleetSpecError('is not an object', 'write { "schemas": "tenant_%" } (a LIKE pattern of the tenant schemas)');
  const spec = value as Record<string, unknown>;
  const extra = Object.keys(spec).filter((k) => !KEYS.includes(k));
  if (extra.length) throw new FleetSpecError(`has ${extra.map((k) => `"${k}"`).join(', ')}, which a fleet does not take`, `use only ${KEYS.join(', ')}`);
  for (const key of [...FLEET_SOURCES, 'canary'] as const) {
    const v = spec[key];
    if (v !== undefined && (typeof v !== 'string' || v.trim() === '' || v.includes('\u0000')))
      throw new FleetSpecError(
        `"${key}" is not a non-empty string`,
        `write "${key}" as a string, e.g. ${key === 'parameterPath' ? '"/myapp/tenants"' : '"tenant_%"'}`,
      );
  }
  for (const key of NUMBERS) {
    const v = spec[key];
    const least = key === 'toleratedFailures' ? 0 : 1;
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < least || v > 10_000))
      throw new FleetSpecError(`"${key}": ${JSON.stringify(v)} is not a whole number from ${least} to 10000`, `write "${key}": ${least === 0 ? 0 : 10}`);
  }
  fleetOf(spec as FleetSpec);
  return spec as FleetSpec;
}

/** The spec with its defaults; throws FleetSpecError unless exactly one source names the tenants. */
export function fleetOf(spec: FleetSpec): Fleet {
  const given = FLEET_SOURCES.filter((k) => spec[k] !== undefined);
  if (given.length !== 1)
    throw new FleetSpecError(
      given.length === 0 ? 'names no tenants' : `names its tenants ${given.length} ways (${given.join(', ')})`,
      'give exactly one of "schemas" (a LIKE pattern of schema names), "schemaQuery", "databases" (a LIKE pattern of database names), "databaseQuery" or "parameterPath" (an SSM Parameter Store path whose parameters name the tenant schemas)',
    );
  const source = given[0];
  if (source === 'parameterPath') checkParameterPath(present(spec.parameterPath));
  const concurrency = spec.concurrency ?? DEFAULT_FLEET_CONCURRENCY;
  return {
    source,
    value: source === 'parameterPath' ? parameterPathOf(present(spec.parameterPath)) : present(spec[source]),
    canary: spec.canary,
    databases: source === 'databases' || source === 'databaseQuery',
    concurrency,
    waveSize: Math.max(spec.waveSize ?? DEFAULT_FLEET_WAVE_SIZE, 1),
    toleratedFailures: spec.toleratedFailures ?? 0,
  };
}

/**
 * A parameter hierarchy as GetParametersByPath takes it: from `/`, at most
 * 15 levels, of the characters a parameter name may have
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html).
 * The root alone is refused: every parameter of the account would name a tenant.
 */
const PARAMETER_PATH = /^(\/[A-Za-z0-9_.-]+){1,15}\/?$/;

function checkParameterPath(path: string): void {
  if (PARAMETER_PATH.test(path)) return;
  throw new FleetSpecError(
    `"parameterPath": ${JSON.stringify(path)} is not an SSM parameter path below the root`,
    'write it as /myapp/tenants: starting with /, 1 to 15 levels of letters, digits, _ . and -',
  );
}

/** The path without its trailing slash: what the request and the IAM grant name. */
function parameterPathOf(path: string): string {
  return path.replace(/\/$/, '');
}

/** How the fleet is named, for a progress line: `schemas LIKE 'tenant_%'`. */
export function describeFleet(fleet: Fleet): string {
  const what = fleet.databases ? 'databases' : 'schemas';
  if (fleet.source === 'parameterPath') return `schemas named under the SSM path ${JSON.stringify(fleet.value)}`;
  return fleet.source === 'schemas' || fleet.source === 'databases' ? `${what} LIKE ${JSON.stringify(fleet.value)}` : `${what} of a query`;
}
