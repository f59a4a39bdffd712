import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../../bin/cli/args';
import { UsageError } from '../../../bin/cli/errors';

function usage(argv: string[]): UsageError {
  try { parseArgs(argv, {}); } catch (e) { if (e instanceof UsageError) return e; throw e; }
  throw new Error('expected a UsageError');
}

describe('Function: parseArgs', () => {
  it('reads the command and flags in either form', () => {
    const o = parseArgs(['migrate', '--dir=db', '--lock-wait', '2m', '--lock-timeout', '500ms', '--json', '--lock-retries', '0'], {});
    expect(o).toMatchObject({ command: 'migrate', dir: 'db', lockWaitMs: 120_000, lockTimeoutMs: 500, json: true, lockRetries: 0 });
  });

  it('takes the URL from DATABASE_URL when no flag is given', () => {
    expect(parseArgs(['status'], { DATABASE_URL: 'postgres://x@h/db' }).databaseUrl).toBe('postgres://x@h/db');
    expect(parseArgs(['status', '--database-url', 'postgres://y@h/db'], { DATABASE_URL: 'postgres://x@h/db' }).databaseUrl).toBe('postgres://y@h/db');
  });

  it.each([
    [['migrate', '--lock-wiat', '5s'], 'unknown flag --lock-wiat', 'did you mean --lock-wait?'],
    [['migrate', '--lock-wait', '5'], '--lock-wait: bad duration "5"', '500ms, 5s, 2m'],
    [['migrate', '--dir'], '--dir needs a value', '--dir DIR'],
    [['migrate', '--json=yes'], '--json takes no value', '--json alone'],
    [['deploy'], 'unknown command "deploy"', 'migrate, plan, status'],
    [['migrate', 'extra'], 'unexpected argument "extra"', 'flags start with --'],
    [['migrate', '--lock-retries', 'many'], '--lock-retries: "many" is not a whole number', '--lock-retries 3'],
  ])('refuses %j', (argv, message, fix) => {
    const e = usage(argv);
    expect(e.message).toBe(message);
    expect(e.fix).toContain(fix);
    expect(e.exitCode).toBe(2);
  });
});
