import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { SETTINGS } from '../../../lib/config/settings';
import { join } from 'node:path';
import { FLAGS, helpText, nearestCommand, parseArgs } from '../../../bin/cli/args';
import { COMMANDS } from '../../../bin/cli/registry';
import { UsageError } from '../../../bin/cli/errors';

function usage(argv: string[]): UsageError {
  try {
    parseArgs(argv, {});
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('Function: parseArgs', () => {
  it('reads the command and flags in either form', () => {
    const o = parseArgs(['migrate', '--dir=db', '--lock-wait', '2m', '--lock-timeout', '500ms', '--json', '--lock-retries', '0'], {});
    expect(o).toMatchObject({ command: 'migrate', dir: 'db', lockWaitMs: 120_000, lockTimeoutMs: 500, json: true, lockRetries: 0 });
  });

  it("takes lsp as VS Code's language client starts it: --stdio and --clientProcessId=PID after its own arguments", () => {
    expect(parseArgs(['lsp', '--config', 'db/schemaguard.config.json', '--stdio', '--clientProcessId=4242'], {})).toMatchObject({
      command: 'lsp',
      stdio: true,
      clientProcessId: 4242,
      config: 'db/schemaguard.config.json',
    });
    expect(() => parseArgs(['lint', '--stdio'], {})).toThrow('lint does not use --stdio');
    expect(() => parseArgs(['lsp', '--json'], {})).toThrow('lsp does not use --json: it speaks the Language Server Protocol on stdout');
  });

  it('takes the largest values in range: 1000 retries, 596h, a safe integer of rows', () => {
    expect(parseArgs(['migrate', '--lock-retries', '1000', '--connect-timeout', '2147483647ms'], {})).toMatchObject({
      lockRetries: 1000,
      connectTimeoutMs: 2_147_483_647,
    });
    expect(parseArgs(['plan', '--warn-rows', '9007199254740991'], {})).toMatchObject({ warnRows: Number.MAX_SAFE_INTEGER });
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
    // Regression: the first flag sharing six characters was offered (--lock-wait), and none for a typo early in the name.
    [['migrate', '--lock-timout', '5s'], 'unknown flag --lock-timout', 'did you mean --lock-timeout?'],
    [['migrate', '--datbase-url', 'x'], 'unknown flag --datbase-url', 'did you mean --database-url?'],
    [['migrate', '--allow-ahaed'], 'unknown flag --allow-ahaed', 'did you mean --allow-ahead?'],
    [['migrate', '--lock-wait', '5'], '--lock-wait: bad duration "5"', '5s for seconds, 5ms for milliseconds'],
    [['migrate', '--dir'], '--dir needs a value', '--dir DIR'],
    [['migrate', '--json=yes'], '--json takes no value', '--json alone'],
    [['deploy'], 'unknown command "deploy"', 'migrate, plan, status'],
    [['migrate', 'extra'], 'unexpected argument "extra"', 'flags start with --'],
    [['migrate', '--lock-retries', 'many'], '--lock-retries: "many" is not a whole number', '--lock-retries 3'],
    [['migrate', '--lock-retries', '-1'], '--lock-retries: "-1" is not a whole number', 'from 0 to 1000'],
    [
      ['migrate', '--lock-retries', '99999999999'],
      '--lock-retries: 99999999999 is out of range (from 0 to 1000)',
      'write a whole number from 0 to 1000, e.g. --lock-retries 3',
    ],
    [['migrate', '--connect-retries=1001'], '--connect-retries: 1001 is out of range (from 0 to 1000)', 'e.g. --connect-retries 3'],
    [
      ['plan', '--warn-rows', '99_999_999_999_999_999'],
      '--warn-rows: 99_999_999_999_999_999 is out of range (from 0 to 9007199254740991)',
      'e.g. --warn-rows 1_000_000',
    ],
    [
      ['migrate', '--connect-timeout', '1000h'],
      "--connect-timeout: 1000h is out of range (from 0 to 2147483647ms, about 596h: PostgreSQL's and Node.js's largest timeout)",
      'from 0 to 596h',
    ],
    [
      ['migrate', '--lock-wait', '99999999999999999h'],
      "--lock-wait: 99999999999999999h is out of range (from 0 to 2147483647ms, about 596h: PostgreSQL's and Node.js's largest timeout)",
      '--lock-wait 30s',
    ],
    [
      ['status', '--format', 'sarif'],
      '--format sarif: status has no sarif output',
      'status takes --format text, json or github; sarif is for lint, check, doctor, diff, plan or guard',
    ],
    [['migrate', '--format=sarif'], '--format sarif: migrate has no sarif output', 'migrate takes --format text, json or github'],
    [
      ['lint', '--json', '--format', 'sarif'],
      '--json and --format sarif ask for two outputs',
      'write one: --json (the same as --format json) or --format sarif',
    ],
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
  it.each([
    ['migrate', '0'],
    ['migrate', '0s'],
    ['snapshot', '0ms'],
    ['migrate', '0.4ms'],
  ])('refuses %s --lock-timeout %s: 0 is no timeout (wait forever)', (command, value) => {
    const e = usage([command, '--lock-timeout', value]);

    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(
      `--lock-timeout: ${value} turns the timeout off (lock_timeout 0 in PostgreSQL means none: a statement waits forever behind any lock it conflicts with, and the queries queued behind a waiting ALTER wait too)`,
    );
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
    expect(['migrat', 'migrae', 'mirgate', 'MIGRATE', 'mig', 'statsu', 'doctr', 'snapshto', 'cpature'].map(nearestCommand)).toEqual([
      'migrate',
      'migrate',
      'migrate',
      'migrate',
      'migrate',
      'status',
      'doctor',
      'snapshot',
      'capture',
    ]);
    expect(['deploy', 'frobnicate', 'up', 'ba', 'x'].map(nearestCommand)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('Function: helpText, for one command', () => {
  it.each([[['migrate', '--help']], [['help', 'migrate']], [['--dir', 'db', 'migrate', '-h']], [['--lock-timeout=2s', 'migrate', '--help']]])(
    '%j asks for the help of migrate',
    (argv) => {
      expect(parseArgs(argv, {})).toMatchObject({ command: 'help', helpFor: 'migrate' });
    },
  );

  it("a flag's value is not taken for the command (--dir lint migrate --help is migrate's)", () => {
    expect(parseArgs(['--dir', 'lint', 'migrate', '--help'], {}).helpFor).toBe('migrate');
    expect(parseArgs(['--help', 'nonsense'], {}).helpFor).toBeUndefined();
  });

  it("lists the command's usage and only the flags it takes", () => {
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
    // --clientProcessId is spelt as VS Code's language client passes it.
    const shown = new Set(COMMANDS.flatMap((c) => [...helpText('v', c).matchAll(/^ {2}(--clientProcessId|--[a-z-]+)/gm)].map((m) => m[1])));
    expect([...shown].sort()).toEqual(Object.keys(FLAGS).sort());
  });
});

describe('Function: parseArgs, a flag the command does not use', () => {
  // Regression (issue 54): `lint --embedded` was accepted and changed nothing; so were --lock-timeout on lint, --dir on doctor, …
  it.each([
    [['lint', '--lock-timeout', '5s'], 'lint does not use --lock-timeout', 'drop --lock-timeout; it is for migrate'],
    [['doctor', '--dir', 'db'], 'doctor does not use --dir', 'drop --dir; it is for migrate, plan'],
    [['check', '--dir', 'db'], 'check does not use --dir', 'schemaguard help check lists the flags check takes'],
    [['status', '--out-of-order'], 'status does not use --out-of-order', 'it is for migrate'],
    [['snapshot', '--lock-timeout', '5s'], 'snapshot does not use --lock-timeout', 'it is for migrate'],
    [['new', 'x', '--database-url', 'postgres://u@h/d'], 'new does not use --database-url', 'drop --database-url'],
    [
      ['snapshot', '--database-url', 'postgres://u@h/d'],
      'snapshot does not use --database-url: it applies the migrations to a throwaway embedded PostgreSQL',
      'schemaguard diff --database-url URL',
    ],
    [['plan', '--offline', '--database-url', 'postgres://u@h/d'], 'plan does not use --database-url: plan --offline reads no database', 'drop --offline'],
    [['plan', '--offline', '--state-schema', 's'], 'plan does not use --state-schema: plan --offline reads no database', 'drop it'],
    [
      ['lint', '--since', 'origin/main', '--embedded'],
      'lint does not use --embedded: lint --since takes the applied files from git, not from a database',
      '--since REF',
    ],
    [
      ['lint', '--since', 'origin/main', '--database-url', 'postgres://u@h/d'],
      'lint does not use --database-url: lint --since takes the applied files from git, not from a database',
      'give one',
    ],
    [
      ['status', '--database-url', 'postgres://u@h/d', '--embedded-dir', 'x'],
      'status does not use --embedded-dir: --database-url names the server, so no embedded server is used',
      'drop --embedded-dir',
    ],
    [
      ['status', '--allow-ahead'],
      'status does not use --allow-ahead: status reports migrations the files do not have either way; --allow-ahead changes only the exit code of --exit-code',
      'add --exit-code',
    ],
    [['migrate', '--exit-code'], 'migrate does not use --exit-code', 'it is for status or plan'],
  ])('refuses %j', (argv, message, fix) => {
    const e = usage(argv);
    expect(e.message).toBe(message);
    expect(e.fix).toContain(fix);
    expect(e.exitCode).toBe(2);
  });

  it('takes the flags each command uses, lint --embedded and plan --exit-code among them', () => {
    expect(parseArgs(['lint', '--embedded'], {})).toMatchObject({ command: 'lint', embedded: true });
    expect(parseArgs(['plan', '--exit-code'], {})).toMatchObject({ command: 'plan', exitCode: true });
    expect(parseArgs(['status', '--allow-ahead', '--exit-code'], {})).toMatchObject({ allowAhead: true, exitCode: true });
    expect(parseArgs(['init', '--dir', 'db/migrations', '--contracts', 'db/contracts'], {})).toMatchObject({ command: 'init', dir: 'db/migrations' });
    expect(parseArgs(['lint', '--config', 'ci/schemaguard.config.json'], {}).config).toBe('ci/schemaguard.config.json');
  });

  it('puts the snapshot beside the migrations unless --snapshot names it', () => {
    expect(parseArgs(['diff'], {}).snapshot).toBe(join('migrations', 'schema.snapshot.json'));
    expect(parseArgs(['diff', '--dir', 'db/sql'], {}).snapshot).toBe(join('db', 'sql', 'schema.snapshot.json'));
    expect(parseArgs(['diff', '--dir', 'db/sql', '--snapshot', 's.json'], {}).snapshot).toBe('s.json');
  });
});

describe('Function: helpText, telling the truth', () => {
  // Regression (issue 54): lint --help said its --database-url default was the embedded server.
  it("gives lint's --database-url its own default, and names the project file's key beside a flag", () => {
    const lint = helpText('v', 'lint');
    expect(lint).toMatch(
      /--database-url URL +PostgreSQL whose applied migrations lint takes as applied .*default: what the embedded server under \.schemaguard\/ applied when it has data, else the files changed since the git base/,
    );
    expect(lint).toContain('--server-version MAJOR');
    expect(lint).toContain('schemaguard.config.json: "serverVersion"');
    expect(helpText('v', 'migrate')).toMatch(/--lock-timeout DURATION .*; schemaguard\.config\.json: "lockTimeout"/);
    expect(helpText('v', 'plan')).toMatch(/--exit-code +exit 1 when plan reports an error/);
  });
});

describe('Constant: FLAGS, the defaults their help shows', () => {
  const source = readFileSync(join(__dirname, '../../../bin/cli/args.ts'), 'utf8');
  const owned = SETTINGS.flatMap((s) => ('flag' in s && s.flag && 'default' in s && typeof s.default === 'string' ? [{ flag: s.flag, value: s.default }] : []));

  it('shows the settings registry default of each flag whose setting has one', () => {
    expect(owned.map((o) => o.flag)).toEqual(expect.arrayContaining(['--dir', '--state-schema', '--contracts', '--embedded-dir']));
    for (const { flag, value } of owned.filter((o) => FLAGS[o.flag]?.help.includes('(default: '))) {
      expect(FLAGS[flag]?.help, flag).toContain(`(default: ${value}`);
    }
  });

  it('writes none of those defaults in a help text by hand: the registry owns them', () => {
    for (const { flag, value } of owned) expect(source, flag).not.toContain(`(default: ${value})`);
  });
});
