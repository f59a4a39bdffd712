import { App, CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { describe, expect, it } from 'vitest';
import { refuseUnlessWhole, refuseWrongKinds } from '../../lib/prop-types';

const KINDS = { name: 'string', size: 'number', on: 'boolean', wait: 'duration', users: 'strings' } as const;

describe('Function: refuseWrongKinds', () => {
  it('takes each kind, and a prop left out', () => {
    expect(() => refuseWrongKinds('X', { name: 'a', size: 1, on: false, wait: Duration.seconds(1), users: ['u'] }, KINDS)).not.toThrow();
    expect(() => refuseWrongKinds('X', {}, KINDS)).not.toThrow();
  });

  it('takes a Duration of another aws-cdk-lib copy in the app (instanceof would refuse it)', () => {
    const foreign = { toSeconds: () => 5, toMilliseconds: () => 5000 };
    expect(() => refuseWrongKinds('X', { wait: foreign }, KINDS)).not.toThrow();
  });

  it.each([
    [{ size: '512' }, 'X: "size" is "512" (a string); pass a number (a value from context is a string: Number(…) it)'],
    [{ wait: 300 }, 'X: "wait" is 300 (a number); pass a Duration from aws-cdk-lib, e.g. Duration.minutes(5)'],
    [{ on: 'true' }, 'X: "on" is "true" (a string); pass true or false (a value from context is a string: compare it with \'true\')'],
    [{ name: null }, 'X: "name" is null; pass a string'],
    [{ name: { a: 1 } }, 'X: "name" is an object (Object); pass a string'],
    [{ users: 'u' }, 'X: "users" is "u" (a string); pass an array of strings, e.g. [\'rdsadmin\']'],
    [{ users: ['u', 2] }, 'X: "users" is an array; pass an array of strings, e.g. [\'rdsadmin\']'],
  ])('refuses %j naming the owner, the prop, the value, its kind and what to pass', (props, message) => {
    expect(() => refuseWrongKinds('X', props, KINDS)).toThrow(message);
  });
});

describe('Function: refuseWrongKinds, a port and subnets', () => {
  const KINDS = { port: 'port', vpcSubnets: 'subnets', size: 'number' } as const;
  const parameter = (type: string) => new CfnParameter(new Stack(new App(), 'P'), 'N', { type });

  it('takes a TCP port or range within 1 to 65535, one known at deploy time, and a selection of any of its fields', () => {
    for (const port of [
      ec2.Port.tcp(1),
      ec2.Port.tcp(5432),
      ec2.Port.tcp(65535),
      ec2.Port.tcpRange(5432, 5433),
      ec2.Port.tcp(parameter('Number').valueAsNumber),
    ]) {
      expect(() => refuseWrongKinds('X', { port }, KINDS)).not.toThrow();
    }
    for (const vpcSubnets of [
      {},
      { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      { subnetGroupName: 'db' },
      { subnets: [] },
      { subnets: [], availabilityZones: [], internetConnectivityEstablished: {} },
    ]) {
      expect(() => refuseWrongKinds('X', { vpcSubnets }, KINDS)).not.toThrow();
    }
  });

  // Regression (a JavaScript app, a value from context): port: 99999 failed deep inside with "connection.toRuleJson is not a function";
  // ec2.Port.tcp(99999) reached the template; vpcSubnets: 'isolated' was ignored (the default subnets) and { subnetType: 'isolated' }
  // failed with "Cannot read properties of undefined (reading 'length')".
  it.each([
    [
      { port: 99999 },
      'X: "port" is 99999 (a number); pass an ec2.Port of the database\'s TCP port (1 to 65535), e.g. ec2.Port.tcp(5432); 99999 is not a port (a whole number from 1 to 65535)',
    ],
    [
      { port: 1.5 },
      'X: "port" is 1.5 (a number); pass an ec2.Port of the database\'s TCP port (1 to 65535), e.g. ec2.Port.tcp(5432); 1.5 is not a port (a whole number from 1 to 65535)',
    ],
    [{ port: 6432 }, 'X: "port" is 6432 (a number); pass an ec2.Port: ec2.Port.tcp(6432)'],
    [{ port: '6432' }, 'X: "port" is "6432" (a string); pass an ec2.Port: ec2.Port.tcp(6432)'],
    [{ port: 'postgres' }, 'X: "port" is "postgres" (a string); pass an ec2.Port of the database\'s TCP port (1 to 65535), e.g. ec2.Port.tcp(5432)'],
    [
      { port: ec2.Port.tcp(99999) },
      'X: "port" is ec2.Port 99999 (tcp 99999), and 99999 is not a port (a whole number from 1 to 65535); pass the database\'s port, e.g. ec2.Port.tcp(5432)',
    ],
    [
      { port: ec2.Port.tcp(0) },
      'X: "port" is ec2.Port 0 (tcp 0), and 0 is not a port (a whole number from 1 to 65535); pass the database\'s port, e.g. ec2.Port.tcp(5432)',
    ],
    [
      { port: ec2.Port.tcp(54.32) },
      'X: "port" is ec2.Port 54.32 (tcp 54.32), and 54.32 is not a port (a whole number from 1 to 65535); pass the database\'s port, e.g. ec2.Port.tcp(5432)',
    ],
    [
      { port: ec2.Port.tcpRange(5432, 70000) },
      'X: "port" is ec2.Port 5432-70000 (tcp 5432 to 70000), and 70000 is not a port (a whole number from 1 to 65535); pass the database\'s port, e.g. ec2.Port.tcp(5432)',
    ],
    [
      { port: ec2.Port.udp(5432) },
      'X: "port" is ec2.Port UDP 5432 (udp 5432); the database is reached over TCP: pass ec2.Port.tcp(<its port>), e.g. ec2.Port.tcp(5432)',
    ],
    [
      { port: ec2.Port.allTraffic() },
      'X: "port" is ec2.Port ALL TRAFFIC (all traffic); the database is reached over TCP: pass ec2.Port.tcp(<its port>), e.g. ec2.Port.tcp(5432)',
    ],
    [
      { vpcSubnets: 'isolated' },
      'X: "vpcSubnets" is "isolated" (a string); pass an ec2.SubnetSelection (an object), e.g. { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }',
    ],
    [
      { vpcSubnets: ['subnet-1'] },
      'X: "vpcSubnets" is an array; pass an ec2.SubnetSelection (an object), e.g. { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }',
    ],
    [
      { vpcSubnets: { subnetType: 'PRIVATE_ISOLATED' } },
      'X: "vpcSubnets" has subnetType "PRIVATE_ISOLATED" (a string), which is no ec2.SubnetType (their values are "Isolated", "Deprecated_Isolated", "Private", "Deprecated_Private_NAT", "Deprecated_Private", "Public"); pass { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } (its value is "Isolated")',
    ],
    [
      { vpcSubnets: { subnetType: 'isolated' } },
      'X: "vpcSubnets" has subnetType "isolated" (a string), which is no ec2.SubnetType (their values are "Isolated", "Deprecated_Isolated", "Private", "Deprecated_Private_NAT", "Deprecated_Private", "Public"); pass e.g. { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }',
    ],
    [
      { vpcSubnets: { type: 'Isolated' } },
      'X: "vpcSubnets" has "type" and none of the fields of an ec2.SubnetSelection (subnetType, availabilityZones, subnetGroupName, subnetName, onePerAz, subnetFilters, subnets), so CDK would pick its default subnets; pass e.g. { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }',
    ],
  ])('refuses %j naming the owner, the prop, the value and the fix', (props, message) => {
    expect(() => refuseWrongKinds('X', props, KINDS)).toThrow(message);
  });

  // Regression: a number token (-1.888…e+289) was reported by the range checks as "is -1.8881545897087526e+289; use an integer from 128".
  it("refuses a number known only at deploy time, saying so rather than printing the token's placeholder", () => {
    expect(() => refuseWrongKinds('X', { size: parameter('Number').valueAsNumber }, KINDS)).toThrow(
      /^X: "size" is a number known only at deploy time \(a token, such as a CfnParameter's valueAsNumber\); pass a number known at synth: it is checked, and used, there$/,
    );
  });
});

describe('Function: refuseUnlessWhole', () => {
  it('takes a whole number in the range, and a prop left out', () => {
    for (const n of [0, 3, undefined]) expect(() => refuseUnlessWhole('X', 'n', n, [0, 3], 'use 0 to 3')).not.toThrow();
  });

  it.each([-1, 4, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s, naming the owner, the prop, the value and the fix', (n) => {
    expect(() => refuseUnlessWhole('X', 'n', n, [0, 3], 'use 0 to 3')).toThrow(`X: "n" is ${n}; use 0 to 3`);
  });
});
