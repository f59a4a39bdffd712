/**
 * Rules every synthesised template keeps, checked by walking its resources
 * rather than by one construct's own assertions, so a function added later
 * (or built in another order) is held to them too.
 *
 * A function is given the database's address when its environment names a
 * secret (which holds host and port), a host or endpoint, or an IAM database
 * user (whose host is beside it); a function that goes through the RDS Data
 * API (`SCHEMAGUARD_CLUSTER_ARN`) reaches an HTTPS endpoint instead. One with
 * the address connects to the database, and a database in private subnets is
 * reachable only from inside the VPC: a Lambda function reaches a VPC's
 * resources only when it is configured with the VPC's subnets and security
 * groups (VpcConfig), https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html
 */
import { ENV } from '../../lambda/handler/constants';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The environment names that carry where the database is. */
const ADDRESS_KEYS = [ENV.secretArn, ENV.host, ENV.endpointHost, ENV.iamUser];

/** Logical ids of the functions given the database's address (not through the Data API), sorted. */
export function functionsGivenTheDatabase(template: { Resources?: Resources }): string[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && connects(environmentOf(r.Properties)))
    .map(([id]) => id)
    .sort();
}

/** Those of them without VpcConfig (subnets and security groups): each is a deploy that cannot reach a private database. */
export function databaseFunctionsOutsideTheVpc(template: { Resources?: Resources }): string[] {
  const resources = template.Resources ?? {};
  return functionsGivenTheDatabase(template).filter((id) => !inVpc(resources[id]?.Properties));
}

function environmentOf(properties: Record<string, unknown> | undefined): Record<string, unknown> {
  const environment = properties?.Environment as { Variables?: Record<string, unknown> } | undefined;
  return environment?.Variables ?? {};
}

function connects(variables: Record<string, unknown>): boolean {
  return ADDRESS_KEYS.some((k) => k in variables) && !(ENV.clusterArn in variables);
}

function inVpc(properties: Record<string, unknown> | undefined): boolean {
  const vpc = properties?.VpcConfig as { SubnetIds?: unknown; SecurityGroupIds?: unknown[] } | undefined;
  return vpc?.SubnetIds !== undefined && Array.isArray(vpc.SecurityGroupIds) && vpc.SecurityGroupIds.length > 0;
}

/**
 * A cycle among the resources' dependencies (DependsOn, Ref, Fn::GetAtt,
 * Fn::Sub's ${Name}), as logical ids in order, or undefined: CloudFormation
 * refuses a template with one ("Circular dependency between resources"),
 * and synth does not see it.
 */
export function dependencyCycle(template: { Resources?: Resources }): string[] | undefined {
  const resources = template.Resources ?? {};
  const edges = new Map(Object.entries(resources).map(([id, r]) => [id, [...referencesOf(r, resources)]]));
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'open') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'open');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of edges.keys()) {
    const cycle = visit(id);
    if (cycle) return cycle;
  }
  return undefined;
}

/** The logical ids a resource depends on. */
function referencesOf(resource: unknown, resources: Resources): Set<string> {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string' && x in resources) found.add(x);
      if (k === 'Fn::GetAtt') found.add([x].flat()[0] as string);
      if (k === 'DependsOn') for (const d of [x].flat()) found.add(d as string);
      if (k === 'Fn::Sub') {
        const names = [...String([x].flat()[0]).matchAll(/\$\{([^}.!]+)/g)].map((match) => match[1]!);
        for (const name of names) if (name in resources) found.add(name);
      }
      walk(x);
    }
  };
  walk(resource);
  return found;
}
