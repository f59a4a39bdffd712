import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { refuseWrongKinds } from '../../lib/prop-types';

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
