/**
 * What a function serves (lambda/handler/served.ts), on events alone: the
 * resource it was made for passes, as CloudFormation delivers it; anything
 * else is refused, naming what differs. The database side is
 * invoke-authority.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { InputError } from '../../../lambda/engine/errors/errors';
import { MIGRATIONS_RESOURCE_TYPE, MIGRATOR_ROLE_PROP, MIGRATOR_ROLE_RESOURCE_TYPE, PROP } from '../../../lambda/handler/constants';
import type { OnEventRequest } from '../../../lambda/handler/request';
import { DEFAULT_SERVED, refuseUnserved, type Served, servedBy } from '../../../lambda/handler/served';

const STACK = 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Orders/0c1d2e3f';
const migrator: Served = [
  {
    type: MIGRATOR_ROLE_RESOURCE_TYPE,
    stack: 'Orders',
    id: 'MigratorRole',
    fixed: {
      [MIGRATOR_ROLE_PROP.roleName]: 'app_migrator',
      [MIGRATOR_ROLE_PROP.secretArn]: 'arn:s',
      [MIGRATOR_ROLE_PROP.schemas]: ['public'],
      [MIGRATOR_ROLE_PROP.extensions]: [],
    },
  },
];

function event(props: Record<string, unknown>, extra: Partial<OnEventRequest> = {}): OnEventRequest {
  return {
    RequestType: 'Create',
    StackId: STACK,
    RequestId: 'r',
    LogicalResourceId: 'MigratorRole',
    ResourceType: MIGRATOR_ROLE_RESOURCE_TYPE,
    ResourceProperties: { ...migrator[0]?.fixed, ...props },
    ...extra,
  };
}

describe('Function: refuseUnserved', () => {
  it('passes the resource as synthesised, an empty list delivered as no property, and any Delete', () => {
    expect(() => refuseUnserved(event({}), migrator)).not.toThrow();
    expect(() => refuseUnserved(event({ [MIGRATOR_ROLE_PROP.extensions]: undefined }), migrator)).not.toThrow();
    expect(() => refuseUnserved(event({ [MIGRATOR_ROLE_PROP.roleName]: 'master' }, { RequestType: 'Delete' }), migrator)).not.toThrow();
  });

  it.each([
    [{ [MIGRATOR_ROLE_PROP.extensions]: ['pg_buffercache'] }, {}, 'Extensions is ["pg_buffercache"], and this function was deployed with []'],
    [{ [MIGRATOR_ROLE_PROP.roleName]: 'master' }, {}, 'RoleName is "master", and this function was deployed with "app_migrator"'],
    [{}, { LogicalResourceId: 'Other' }, 'resource Orders/Other is not the one this function was made for (Orders/MigratorRole)'],
    [{}, { ResourceType: 'Custom::SchemaMigrations' }, 'this function does not serve "Custom::SchemaMigrations" resources'],
  ])('refuses %j %j', (props, extra, message) => {
    expect(() => refuseUnserved(event(props, extra), migrator)).toThrow(InputError);
    expect(() => refuseUnserved(event(props, extra), migrator)).toThrow(message);
  });

  it('without a configuration: the migrations resource, never a baseline', () => {
    const migrations = { ...event({}), ResourceType: 'Custom::SchemaMigrations', ResourceProperties: { [PROP.filesHash]: 'h' } };
    expect(() => refuseUnserved(migrations, servedBy(undefined, 'SCHEMAGUARD_SERVES'))).not.toThrow();
    expect(() => refuseUnserved({ ...migrations, ResourceProperties: { [PROP.baselineVersion]: '3', [PROP.baselineReason]: 'x' } }, DEFAULT_SERVED)).toThrow(
      'BaselineVersion is "3", and this function was deployed with not set',
    );
  });
});

describe('Function: refuseUnserved for a fleet', () => {
  const MACHINE = 'arn:aws:states:eu-west-1:111111111111:stateMachine:MigrationsFleetRollout-0c1d2e3f';
  const fleet: Served = [{ type: MIGRATIONS_RESOURCE_TYPE, stack: 'Orders', id: 'Migrations', fixed: { [PROP.fleetStateMachine]: MACHINE } }];
  const request = (props: Record<string, unknown>): OnEventRequest => ({
    ...event({}),
    LogicalResourceId: 'Migrations',
    ResourceType: MIGRATIONS_RESOURCE_TYPE,
    ResourceProperties: { [PROP.filesHash]: 'h', ...props },
  });

  it('passes the state machine synth fixed, and refuses another or none, naming FleetStateMachineArn', () => {
    expect(() => refuseUnserved(request({ [PROP.fleetStateMachine]: MACHINE }), fleet)).not.toThrow();
    const other = `${MACHINE.replace(/-0c1d2e3f$/, '')}-attacker`;
    expect(() => refuseUnserved(request({ [PROP.fleetStateMachine]: other }), fleet)).toThrow(
      `the Custom::SchemaMigrations request's FleetStateMachineArn is ${JSON.stringify(other)}, and this function was deployed with ${JSON.stringify(MACHINE)}: refused, nothing was changed`,
    );
    expect(() => refuseUnserved(request({}), fleet)).toThrow('FleetStateMachineArn is not set, and this function was deployed with');
    // A function made without a fleet refuses an event that names a state machine.
    expect(() => refuseUnserved(request({ [PROP.fleetStateMachine]: MACHINE }), DEFAULT_SERVED)).toThrow('FleetStateMachineArn is');
  });
});

describe('Function: servedBy', () => {
  it('refuses a configuration that is not a list of resources, naming the variable', () => {
    expect(() => servedBy({ type: 'x' }, 'SCHEMAGUARD_SERVES')).toThrow('SCHEMAGUARD_SERVES is not a list of { type, stack, id, fixed }');
    expect(() => servedBy([{ type: 'x' }], 'SCHEMAGUARD_SERVES')).toThrow('SCHEMAGUARD_SERVES is not a list');
    expect(servedBy([], 'SCHEMAGUARD_SERVES')).toEqual([]);
  });
});
