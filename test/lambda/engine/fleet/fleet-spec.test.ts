/**
 * The fleet spec's tenant sources (lambda/engine/fleet/fleet-spec.ts) on
 * values alone: exactly one of the five, an SSM parameter path checked as
 * GetParametersByPath takes it.
 */
import { describe, expect, it } from 'vitest';
import { describeFleet, fleetOf, FleetSpecError, readFleetSpec } from '../../../../lambda/engine/fleet/fleet-spec';

describe('Function: fleetOf with parameterPath', () => {
  it('takes a path below the root, without its trailing slash, as schemas of the target database', () => {
    const fleet = fleetOf(readFleetSpec({ parameterPath: '/myapp/tenants/' }));
    expect(fleet).toMatchObject({ source: 'parameterPath', value: '/myapp/tenants', databases: false });
    expect(describeFleet(fleet)).toBe('schemas named under the SSM path "/myapp/tenants"');
  });

  it.each([
    [{ parameterPath: '/' }, '"parameterPath": "/" is not an SSM parameter path below the root'],
    [{ parameterPath: 'myapp/tenants' }, '"parameterPath": "myapp/tenants" is not an SSM parameter path below the root'],
    [{ parameterPath: '/my app' }, '"parameterPath": "/my app" is not an SSM parameter path below the root'],
    [{ parameterPath: '/a', schemas: 't_%' }, 'names its tenants 2 ways (schemas, parameterPath)'],
  ])('refuses %j, naming the keys', (spec, problem) => {
    expect(() => readFleetSpec(spec)).toThrow(FleetSpecError);
    expect(() => readFleetSpec(spec)).toThrow(problem);
  });

  it('names every source in the fix when none is given', () => {
    expect(() => fleetOf({ concurrency: 2 })).toThrow('names no tenants');
    const refused = (() => {
      try {
        fleetOf({});
      } catch (e) {
        return e as FleetSpecError;
      }
      return undefined;
    })();
    expect(refused?.fix).toContain('"parameterPath" (an SSM Parameter Store path whose parameters name the tenant schemas)');
  });
});
