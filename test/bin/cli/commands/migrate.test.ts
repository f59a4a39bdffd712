/** The progress lines of a run: waiting for the runner lock, for either form's holder; a lock timeout's retry. */
import { describe, expect, it } from 'vitest';
import { lockWaitLine, progressLine } from '../../../../bin/cli/commands/migrate';
import type { Blocker } from '../../../../lambda/engine/errors/errors';
import { parseMigration } from '../../../../lambda/engine/files/source';

describe('Function: lockWaitLine', () => {
  it('names a session holding the advisory lock by pid and application', () => {
    expect(lockWaitLine([{ pid: 4242, application: 'schemaguard' }])).toBe('  waiting for the migration lock held by pid 4242 (schemaguard)');
  });

  // A lease has no server process: the line said "pid 0 (deploy-stack)".
  it('names a lease by its id and owner, not pid 0', () => {
    expect(lockWaitLine([{ pid: 0, application: 'deploy-stack', state: 'lease 3d2c8849, expires in 60 s unless renewed', heldForSeconds: 3 }])).toBe(
      '  waiting for the migration lock held by lease 3d2c8849 of deploy-stack, expires in 60 s unless renewed',
    );
  });

  it('says another session when nobody could be named', () => {
    expect(lockWaitLine([])).toBe('  waiting for the migration lock held by another session');
  });
});

describe("Function: progressLine, a lock timeout's retry", () => {
  const m = parseMigration('0002_idx.sql', '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS t_a ON t (a);');
  const line = (blockers: Blocker[]) => {
    const said: string[] = [];
    progressLine({ type: 'retry', migration: m, attempt: 1, delayMs: 250, blockers, message: 'lock timeout' }, (t) => said.push(t), 12);
    return said;
  };

  it('names the sessions holding a lock on the table as blockers', () => {
    expect(line([{ pid: 4242 }])).toEqual(['  0002_idx.sql: lock timeout, retry 1 in 250 ms (blocked by pid 4242)']);
  });

  // A concurrent build waits for every older transaction: the one it waited for holds no lock on the table.
  it('says a concurrent build waits for older transactions to end when no blocker holds a lock on the table', () => {
    expect(line([{ pid: 4242, olderTransaction: true }])).toEqual([
      '  0002_idx.sql: lock timeout, retry 1 in 250 ms (waiting for the older transaction of pid 4242 to end)',
    ]);
    expect(line([{ pid: 1, olderTransaction: true }, { pid: 2 }])).toEqual(['  0002_idx.sql: lock timeout, retry 1 in 250 ms (blocked by pid 1, 2)']);
  });
});
