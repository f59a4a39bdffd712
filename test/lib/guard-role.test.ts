import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { defaultGuardRoleName } from '../../lib/guard-role';

describe('Function: defaultGuardRoleName', () => {
  // Regression: a token was folded into schemaguard_guard___token_token_9___<hash>, a name that changed with unrelated edits to the app.
  it('refuses a database name known only at deploy time, naming the token and the fix', () => {
    // Prepare
    const name = new CfnParameter(new Stack(new App(), 'Roles'), 'DbName').valueAsString;
    // Act / Assess
    expect(() => defaultGuardRoleName(name)).toThrow(`defaultGuardRoleName: the database name is a value known only at deploy time (${name}), and a role name is fixed at synth time`);
    expect(() => defaultGuardRoleName(name)).toThrow('pass the literal database name, or choose the role name yourself (SchemaGuard\'s "roleName")');
  });

  it('a literal name is unchanged by the check', () => {
    expect(defaultGuardRoleName('orders')).toBe('schemaguard_guard_orders');
  });
});
