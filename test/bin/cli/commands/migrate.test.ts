/** The progress line of a run waiting for the runner lock, for either form's holder. */
import { describe, expect, it } from 'vitest';
import { lockWaitLine } from '../../../../bin/cli/commands/migrate';

describe('Function: lockWaitLine', () => {
  it('names a session holding the advisory lock by pid and application', () => {
    expect(lockWaitLine([{ pid: 4242, application: 'schemaguard' }])).toBe('  waiting for the migration lock held by pid 4242 (schemaguard)');
  });

  // A lease has no server process: the line said "pid 0 (deploy-stack)".
  it('names a lease by its id and owner, not pid 0', () => {
    expect(lockWaitLine([{ pid: 0, application: 'deploy-stack', state: 'lease 3d2c8849, expires in 60 s unless renewed', heldForSeconds: 3 }]))
      .toBe('  waiting for the migration lock held by lease 3d2c8849 of deploy-stack, expires in 60 s unless renewed');
  });

  it('says another session when nobody could be named', () => {
    expect(lockWaitLine([])).toBe('  waiting for the migration lock held by another session');
  });
});
