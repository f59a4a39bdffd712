import { describe, expect, it } from 'vitest';
import { COMMANDS, FLAGS, helpText, nearestCommand, parseArgs } from '../../../bin/cli/args';
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

  it('takes the largest values in range: 1000 retries, 596h, a safe integer of rows', () => {
    const o = parseArgs(['plan', '--lock-retries', '1000', '--connect-timeout', '2147483647ms', '--warn-rows', '9007199254740991'], {});
    expect(o).toMatchObject({ lockRetries: 1000, connectTimeoutMs: 2_147_483_647, warnRows: Number.MAX_SAFE_INTEGER });
  });

  it('takes help as a command, with or without the command it is about', () => {
    expect(parseArgs(['help'], {}).command).toBe('help');
    expect(parseArgs(['help', 'migrate'], {}).command).toBe('help');
    expect(parseArgs(['--help'], {}).command).toBe('help');
    expect(parseArgs(['--help'], {}).helpFor).toBeUndefined();
  });

  // Regression (helper): no command printed the help and exited 0, so a CI step `schemaguard $COMMAND` with the variable empty passed.
  it('refuses no command at all (exit 2), flags or not', () => {
    for (const argv of [[], ['--quiet'], ['--database-url', 'postgres://x@h/db']]) {
      const e = usage(argv);
      expect(e.message).toBe('no command given');
      expect(e.fix).toContain('COMMAND one of: migrate, plan, status');
    }
  });

  it('takes --format github for a command without findings (a failure is an annotation), and sarif for those with', () => {
    expect(parseArgs(['status', '--format', 'github'], {}).format).toBe('github');
    expect(parseArgs(['guard', '--format', 'sarif'], {}).format).toBe('sarif');
  });

  it('takes the URL from DATABASE_URL when no flag is given', () => {
    expect(parseArgs(['status'], { DATABASE_URL: 'postgres://x@h/db' }).databaseUrl).toBe('postgres://x@h/db');
    expect(parseArgs(['status', '--database-url', 'postgres://y@h/db'], { DATABASE_URL: 'postgres://x@h/db' }).databaseUrl).toBe('postgres://y@h/db');
  });

  it.each([
    [['migrate', '--lock-wiat', '5s'], 'unknown flag --lock-wiat', 'did you mean --lock-wait?'],
    [['migrate', '--lock-wait', '5'], '--lock-wait: bad duration "5"', '5s for seconds, 5ms for milliseconds'],
    [['migrate', '--dir'], '--dir needs a value', '--dir DIR'],
    [['migrate', '--json=yes'], '--json takes no value', '--json alone'],
    [['deploy'], 'unknown command "deploy"', 'migrate, plan, status'],
    [['migrate', 'extra'], 'unexpected argument "extra"', 'flags start with --'],
    [['migrate', '--lock-retries', 'many'], '--lock-retries: "many" is not a whole number', '--lock-retries 3'],
    [['migrate', '--lock-retries', '-1'], '--lock-retries: "-1" is not a whole number', 'from 0 to 1000'],
    [['migrate', '--lock-retries', '99999999999'], '--lock-retries: 99999999999 is out of range (from 0 to 1000)', 'write a whole number from 0 to 1000, e.g. --lock-retries 3'],
    [['migrate', '--connect-retries=1001'], '--connect-retries: 1001 is out of range (from 0 to 1000)', 'e.g. --connect-retries 3'],
    [['plan', '--warn-rows', '99_999_999_999_999_999'], '--warn-rows: 99_999_999_999_999_999 is out of range (from 0 to 9007199254740991)', 'e.g. --warn-rows 1_000_000'],
    [['migrate', '--connect-timeout', '1000h'], "--connect-timeout: 1000h is out of range (from 0 to 2147483647ms, about 596h: PostgreSQL's and Node.js's largest timeout)", 'from 0 to 596h'],
    [['migrate', '--lock-wait', '99999999999999999h'], "--lock-wait: 99999999999999999h is out of range (from 0 to 2147483647ms, about 596h: PostgreSQL's and Node.js's largest timeout)", '--lock-wait 30s'],
    [['status', '--format', 'sarif'], '--format sarif: status has no sarif output', 'status takes --format text, json or github; sarif is for lint, check, doctor, diff, plan or guard'],
    [['migrate', '--format=sarif'], '--format sarif: migrate has no sarif output', 'migrate takes --format text, json or github'],
    [['lint', '--json', '--format', 'sarif'], '--json and --format sarif ask for two outputs', 'write one: --json (the same as --format json) or --format sarif'],
    [['help', 'deploy'], 'unknown command "deploy"', 'use one of: help, migrate'],
    // Regression (newcomer): a typo got the list of every command, not the one it meant.
    [['migrat'], 'unknown command "migrat"', 'did you mean migrate? (use one of: help, migrate'],
    [['stauts', '--exit-code'], 'unknown command "stauts"', 'did you mean status?'],
    [['help', 'lnit'], 'unknown command "lnit"', 'did you mean lint?'],
    [['help', 'migrate', 'status'], 'unexpected argument "status"', 'schemaguard help COMMAND'],
  ])('refuses %j', (argv, message, fix) => {
    const e = usage(argv);
    expect(e.message).toBe(message);
    expect(e.fix).toContain(fix);
    expect(e.exitCode).toBe(2);
  });
});

describe('Function: parseArgs, --lock-timeout', () => {
  // Regression (review): --lock-timeout 0 was taken, a migration then waited for its locks forever, while lint refuses the lock-timeout=0 directive.
  it.each([['migrate', '0'], ['migrate', '0s'], ['snapshot', '0ms'], ['migrate', '0.4ms']])('refuses %s --lock-timeout %s: 0 is no timeout (wait forever)', (command, value) => {
    const e = usage([command, '--lock-timeout', value]);

    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`--lock-timeout: ${value} turns the timeout off (lock_timeout 0 in PostgreSQL means none: a statement waits forever behind any lock it conflicts with, and the queries queued behind a waiting ALTER wait too)`);
    expect(e.value).toBe(value);
    expect(e.fix).toContain('write a positive duration, e.g. --lock-timeout 5s');
  });

  it('takes 1ms, and says its range starts there', () => {
    expect(parseArgs(['migrate', '--lock-timeout=1ms'], {}).lockTimeoutMs).toBe(1);
    expect(usage(['migrate', '--lock-timeout', '1000h']).fix).toBe('write --lock-timeout with a duration from 1ms to 596h, e.g. --lock-timeout 30s');
  });

  // Regression (exploratory test): `--lock-timeout 5` was told "(or 0 for none)", which this flag refuses, and not which unit it lacked.
  it('gives a number without a unit its two likely units, and offers 0 only where it is taken', () => {
    expect(usage(['migrate', '--lock-timeout', '5']).fix).toBe('a duration needs a unit: 5s for seconds, 5ms for milliseconds');
    expect(usage(['migrate', '--lock-wait', '5']).fix).toBe('a duration needs a unit: 5s for seconds, 5ms for milliseconds (0 alone: one try)');
    expect(usage(['migrate', '--connect-timeout', '5']).fix).toBe('a duration needs a unit: 5s for seconds, 5ms for milliseconds (0 alone: no limit)');
    expect(usage(['migrate', '--statement-timeout', '5']).fix).toBe('a duration needs a unit: 5s for seconds, 5ms for milliseconds (0 alone: none)');
    expect(usage(['migrate', '--lock-timeout', 'soon']).fix).toBe('write a number with a unit: 500ms, 5s, 2m, 1h');
    expect(usage(['migrate', '--lock-wait', 'soon']).fix).toBe('write a number with a unit: 500ms, 5s, 2m, 1h (0 alone: one try)');
  });

  it('still takes 0 for the durations where it means none (--lock-wait, --connect-timeout)', () => {
    expect(parseArgs(['migrate', '--lock-wait', '0', '--connect-timeout', '0'], {})).toMatchObject({ lockWaitMs: 0, connectTimeoutMs: 0 });
  });
});

describe('Function: nearestCommand', () => {
  it('names the command a typo meant, and none for a word far from every command', () => {
    expect(['migrat', 'migrae', 'mirgate', 'MIGRATE', 'mig', 'statsu', 'doctr', 'snapshto', 'cpature'].map(nearestCommand))
      .toEqual(['migrate', 'migrate', 'migrate', 'migrate', 'migrate', 'status', 'doctor', 'snapshot', 'capture']);
    expect(['deploy', 'frobnicate', 'up', 'ba', 'x'].map(nearestCommand)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('Function: helpText, for one command', () => {
  it.each([
    [['migrate', '--help']], [['help', 'migrate']], [['--dir', 'db', 'migrate', '-h']], [['--lock-timeout=2s', 'migrate', '--help']],
  ])('%j asks for the help of migrate', (argv) => {
    expect(parseArgs(argv, {})).toMatchObject({ command: 'help', helpFor: 'migrate' });
  });

  it('a flag\'s value is not taken for the command (--dir lint migrate --help is migrate\'s)', () => {
    expect(parseArgs(['--dir', 'lint', 'migrate', '--help'], {}).helpFor).toBe('migrate');
    expect(parseArgs(['--help', 'nonsense'], {}).helpFor).toBeUndefined();
  });

  it('lists the command\'s usage and only the flags it takes', () => {
    const migrate = helpText('1.2.3', 'migrate');
    expect(migrate).toMatch(/^schemaguard 1\.2\.3 — migrate: apply pending migrations/);
    expect(migrate).toContain('Usage: schemaguard migrate [flags]');
    expect(migrate).toContain('--lock-timeout DURATION');
    expect(migrate).not.toContain('--since');
    expect(migrate).not.toContain('--offline');
    const lint = helpText('1.2.3', 'lint');
    expect(lint).toContain('--since REF');
    expect(lint).not.toContain('--lock-timeout');
    expect(helpText('1.2.3', 'repair')).toContain('Usage: schemaguard repair [VERSION…] --reason TEXT [flags]');
    expect(helpText('1.2.3', 'new')).not.toContain('--database-url');
  });

  it('every flag is in the help of at least one command, and every command names only known ones', () => {
    const shown = new Set(COMMANDS.flatMap((c) => [...helpText('v', c).matchAll(/^ {2}(--[a-z-]+)/gm)].map((m) => m[1])));
    expect([...shown].sort()).toEqual(Object.keys(FLAGS).sort());
  });
});
