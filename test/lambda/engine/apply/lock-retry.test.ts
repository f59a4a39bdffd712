import { describe, expect, it } from 'vitest';
import { DeadlineError, LockTimeoutError, MigrationError, type Blocker } from '../../../../lambda/engine/errors/errors';
import { backoffMs, decideLockRetry, retryLockTimeouts, type LockRetryPolicy } from '../../../../lambda/engine/apply/lock-retry';
import { parseMigration } from '../../../../lambda/engine/files/source';

const m = parseMigration('7_add_index.sql', 'CREATE INDEX i ON t (a);');
const timeout = (line = 1) => new MigrationError(`7_add_index.sql:${line}: canceling statement due to lock timeout`, { file: m.file, line, sqlstate: '55P03' });
const policy = (over: Partial<LockRetryPolicy> = {}): LockRetryPolicy => ({ lockRetries: 3, retryDelayMs: 1, ...over });

describe('backoffMs', () => {
  it('doubles from the base, within its upper half, and stops at 10 s', () => {
    expect(backoffMs(1, 500, () => 0)).toBe(250);
    expect(backoffMs(1, 500, () => 1)).toBe(500);
    expect(backoffMs(3, 500, () => 0)).toBe(1000);
    expect(backoffMs(3, 500, () => 1)).toBe(2000);
    expect(backoffMs(20, 500, () => 1)).toBe(10_000);
    expect(backoffMs(20, 500, () => 0)).toBe(5000);
  });
});

describe('decideLockRetry', () => {
  const half = () => 0.5;
  it('retries a lock timeout on a live session while retries are left', () => {
    expect(decideLockRetry(timeout(), false, 1, policy({ retryDelayMs: 400 }), 0, half)).toEqual({ action: 'retry', delayMs: 300 });
    expect(decideLockRetry(timeout(), false, 3, policy(), 0, half)).toMatchObject({ action: 'retry' });
  });
  it('gives up once the retries are spent', () => {
    expect(decideLockRetry(timeout(), false, 4, policy(), 0, half)).toEqual({ action: 'give-up' });
    expect(decideLockRetry(timeout(), false, 1, policy({ lockRetries: 0 }), 0, half)).toEqual({ action: 'give-up' });
  });
  it('throws any other error, and a lock timeout on a broken session', () => {
    expect(decideLockRetry(new MigrationError('x', { sqlstate: '57014' }), false, 1, policy(), 0, half)).toEqual({ action: 'throw' });
    expect(decideLockRetry(new MigrationError('x'), false, 1, policy(), 0, half)).toEqual({ action: 'throw' });
    expect(decideLockRetry(timeout(), true, 1, policy(), 0, half)).toEqual({ action: 'throw' });
  });
  it('stops under a deadline the backoff would end at or past', () => {
    const p = policy({ retryDelayMs: 400, endsAt: 1300 });
    expect(decideLockRetry(timeout(), false, 1, p, 999, half)).toEqual({ action: 'retry', delayMs: 300 });
    expect(decideLockRetry(timeout(), false, 1, p, 1000, half)).toEqual({ action: 'out-of-time', delayMs: 300 });
  });
});

describe('retryLockTimeouts', () => {
  const session = { pid: undefined, broken: false };
  const blocker: Blocker = { pid: 4242, user: 'app', application: 'psql', state: 'idle in transaction' };

  it('runs the attempt again after a lock timeout, undoing each failure, and counts the attempts', async () => {
    const undone: unknown[] = [];
    const retries: number[] = [];
    const before: string[] = [];
    const r = await retryLockTimeouts({
      session,
      m,
      lockTimeoutMs: 100,
      policy: policy({ onRetry: (n) => retries.push(n), beforeRetry: async (x) => void before.push(x.file) }),
      attempt: async (_w, n) => {
        if (n < 3) throw timeout();
        return 'done';
      },
      undo: async (e) => void undone.push(e),
    });
    expect(r).toEqual({ value: 'done', attempts: 3 });
    expect(undone).toHaveLength(2);
    expect(retries).toEqual([1, 2]);
    expect(before).toEqual([m.file, m.file]);
  });

  it('gives up with a LockTimeoutError naming the last blockers seen and the attempts', async () => {
    const carried = Object.assign(timeout(), { blockers: [blocker] });
    const e = await retryLockTimeouts({
      session,
      m,
      lockTimeoutMs: 100,
      policy: policy({ lockRetries: 1 }),
      attempt: async (_w, n) => {
        throw n === 1 ? carried : timeout();
      },
      undo: async () => undefined,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(LockTimeoutError);
    expect((e as LockTimeoutError).message).toBe(
      '7_add_index.sql:1: could not get a lock within 100 ms after 2 attempts; blocked by pid 4242 (psql) user app idle in transaction',
    );
  });

  it('throws another error as it is, after undoing the attempt, without a retry', async () => {
    const failed = new MigrationError('7_add_index.sql:1: relation "t" does not exist', { sqlstate: '42P01' });
    let attempts = 0;
    let undone = 0;
    const e = await retryLockTimeouts({
      session,
      m,
      lockTimeoutMs: 100,
      policy: policy(),
      attempt: async () => {
        attempts++;
        throw failed;
      },
      undo: async () => void undone++,
    }).catch((x: unknown) => x);
    expect([e, attempts, undone]).toEqual([failed, 1, 1]);
  });

  it('does not retry on a broken session', async () => {
    let attempts = 0;
    const e = await retryLockTimeouts({
      session: { pid: 1, broken: true },
      m,
      lockTimeoutMs: 100,
      policy: policy(),
      attempt: async () => {
        attempts++;
        throw timeout();
      },
      undo: async () => undefined,
    }).catch((x: unknown) => x);
    expect((e as MigrationError).sqlstate).toBe('55P03');
    expect(e).not.toBeInstanceOf(LockTimeoutError);
    expect(attempts).toBe(1);
  });

  it('stops with a DeadlineError when no time is left for the backoff', async () => {
    const e = await retryLockTimeouts({
      session,
      m,
      lockTimeoutMs: 100,
      policy: policy({ retryDelayMs: 10_000, endsAt: Date.now() + 1000 }),
      attempt: async () => {
        throw timeout(2);
      },
      undo: async () => undefined,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DeadlineError);
    expect((e as DeadlineError).message).toBe(
      '7_add_index.sql:2: canceling statement due to lock timeout, and no time is left before the deadline for another attempt',
    );
  });

  it('names the error the path chooses, told whether it is a lock timeout', async () => {
    const seen: boolean[] = [];
    const own = timeout(5);
    const e = await retryLockTimeouts({
      session,
      m,
      lockTimeoutMs: 100,
      policy: policy({ lockRetries: 0 }),
      attempt: async () => {
        throw new MigrationError('drop timed out', { sqlstate: '55P03' });
      },
      undo: async () => undefined,
      errorOf: (_e, _err, lockTimeout) => {
        seen.push(lockTimeout);
        return own;
      },
    }).catch((x: unknown) => x);
    expect(seen).toEqual([true]);
    expect((e as LockTimeoutError).message).toMatch(/^7_add_index\.sql:5: could not get a lock within 100 ms after 1 attempt;/);
  });

  it('stops when beforeRetry refuses the next attempt', async () => {
    const refused = new MigrationError('applied meanwhile by another runner');
    let attempts = 0;
    const e = await retryLockTimeouts({
      session,
      m,
      lockTimeoutMs: 100,
      policy: policy({
        beforeRetry: async () => {
          throw refused;
        },
      }),
      attempt: async () => {
        attempts++;
        throw timeout();
      },
      undo: async () => undefined,
    }).catch((x: unknown) => x);
    expect([e, attempts]).toEqual([refused, 1]);
  });
});
