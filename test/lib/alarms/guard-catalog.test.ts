import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { urlTls } from '../../../lambda/driver/pg/ssl-mode';
import { deployedLength, NUMBER_TOKEN_MAX_LENGTH } from '../../../lib/alarms/deployed-length';
import { checkGuardDescription, GUARD_ALARMS, GUARD_FIRST_COMMAND, guardAlarmDescription, guardFirstCommand } from '../../../lib/alarms/guard-catalog';

const CTX = { database: 'orders-db/app', logGroupName: '/aws/lambda/orders-guard', interval: '15 minutes' };

/** Placeholders as synth renders an identifier and a database name known only at deploy time, each up to 63 characters once deployed. */
const IDENTIFIER = '${Token[TOKEN.1234]}';
const NAME = '${Token[Db.Name.1235]}';
const AT_MOST_63 = { [IDENTIFIER]: 63, [NAME]: 63 };

/** The URL of the runbook's first command, its placeholders filled in. */
function firstCommandUrl(caFile: string): string {
  const url = /--database-url "([^"]+)"/.exec(GUARD_FIRST_COMMAND)?.[1];
  expect(url, GUARD_FIRST_COMMAND).toBeDefined();
  return url!
    .replace('GUARD_ROLE', 'schemaguard_guard_app')
    .replace('ENDPOINT', 'orders-db.abc.eu-west-1.rds.amazonaws.com')
    .replace('/DATABASE?', '/app?')
    .replace('sslrootcert=global-bundle.pem', `sslrootcert=${caFile}`);
}

describe('Module: guard-catalog', () => {
  describe('Constant: GUARD_FIRST_COMMAND', () => {
    it('regression: connects over TLS verified against the RDS CA bundle (without sslmode, rds.force_ssl=1 refused it: "no pg_hba.conf entry ... no encryption")', () => {
      // Prepare
      const caFile = join(mkdtempSync(join(tmpdir(), 'schemaguard-ca-')), 'global-bundle.pem');
      writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nstand-in\n-----END CERTIFICATE-----\n');
      // Act: the URL as the CLI reads it
      const url = firstCommandUrl(caFile);
      const tls = urlTls(url, {});
      // Assess: the chain and the host name are verified against that file's CAs
      expect(tls?.mode).toBe('verify-full');
      expect(tls?.ssl).toMatchObject({ ca: expect.stringContaining('stand-in') });
      expect((tls?.ssl as { rejectUnauthorized?: boolean } | undefined)?.rejectUnauthorized).not.toBe(false);
      expect(tls?.fallBackToPlain).toBe(false);
      expect((tls?.ssl as { checkServerIdentity?: unknown } | undefined)?.checkServerIdentity).toBeUndefined();
      const u = new URL(url);
      expect({ user: u.username, host: u.hostname, database: u.pathname.slice(1), password: u.password }).toEqual({
        user: 'schemaguard_guard_app',
        host: 'orders-db.abc.eu-west-1.rds.amazonaws.com',
        database: 'app',
        password: '',
      });
    });

    it('runs as the guard role with the password of its secret, in PGPASSWORD (never in the URL)', () => {
      expect(GUARD_FIRST_COMMAND).toMatch(/ npx schemaguard guard --database-url "postgres:\/\/GUARD_ROLE@ENDPOINT\//);
    });

    it('regression: reads the password at a silent prompt, so it never lands in the shell history (PGPASSWORD=<password> npx … did)', () => {
      expect(GUARD_FIRST_COMMAND).toMatch(/^printf 'Password: ' >&2 && read -rs PGPASSWORD && echo >&2 && export PGPASSWORD && npx schemaguard guard /);
      expect(GUARD_FIRST_COMMAND).not.toMatch(/PGPASSWORD=|password>/);
      // The same words in bash: the prompt on stderr, and what was typed reaches the command's environment.
      const r = spawnSync(
        'bash',
        ['-c', GUARD_FIRST_COMMAND.replace(/ npx schemaguard guard .*$/, " node -e 'process.stdout.write(process.env.PGPASSWORD)'")],
        { input: 's3cr$t p@ss\n', encoding: 'utf8' },
      );
      expect({ status: r.status, out: r.stdout, err: r.stderr }).toEqual({ status: 0, out: 's3cr$t p@ss', err: 'Password: \n' });
    });
  });

  describe('Function: guardFirstCommand', () => {
    it("regression: repeats the deployed guard's options (with none, a database migrated with another state schema read every migration as pending)", () => {
      expect(guardFirstCommand()).toBe(GUARD_FIRST_COMMAND);
      expect(
        guardFirstCommand({ stateSchema: 'app_state', migrationsDir: 'db/migrations', contractsDir: 'db/contracts', snapshotFile: 'db/schema.json' }),
      ).toBe(`${GUARD_FIRST_COMMAND} --state-schema app_state --dir db/migrations --contracts db/contracts --snapshot db/schema.json`);
      // A path with a space or a quote stays one word in bash.
      const cmd = guardFirstCommand({ migrationsDir: "my app's/migrations" });
      const r = spawnSync('bash', ['-c', `set -- ${cmd.slice(cmd.indexOf(' --dir '))}; printf '%s|' "$@"`], { encoding: 'utf8' });
      expect(r.stdout).toBe("--dir|my app's/migrations|");
    });

    it("names the flag of a path outside the app's directory (null) without its value", () => {
      expect(guardFirstCommand({ stateSchema: 'app_state', contractsDir: null })).toBe(
        `${GUARD_FIRST_COMMAND} --state-schema app_state + the stack's --contracts`,
      );
    });

    it('in a description, paths too long to quote leave the flags named', () => {
      const d = guardAlarmDescription(GUARD_ALARMS[0]!, { ...CTX, command: { stateSchema: 'app_state', migrationsDir: 'm'.repeat(600) } });
      expect(d).toContain(`${GUARD_FIRST_COMMAND} + the stack's --state-schema --dir`);
      expect(d.length).toBeLessThanOrEqual(1024);
    });
  });

  describe('Function: guardAlarmDescription', () => {
    it.each(GUARD_ALARMS.map((a) => [a.id, a] as const))(
      "%s: starts with the first command, names the guard's log group, within 1024 characters with a 63-character identifier",
      (_id, spec) => {
        const d = guardAlarmDescription(spec, CTX);
        expect(d).toContain(
          `\nFirst: ${GUARD_FIRST_COMMAND} (the guard secret's password at the prompt; app checkout; RDS CA bundle; docs guide/on-call); the guard's log group ${CTX.logGroupName} has the last run's.\n`,
        );
        const long = guardAlarmDescription(spec, {
          ...CTX,
          database: `${'d'.repeat(63)}/app`,
          logGroupName: IDENTIFIER,
          tokenMaxLengths: { [IDENTIFIER]: 512 },
        });
        expect(deployedLength(long, { [IDENTIFIER]: 512 })).toBeLessThanOrEqual(1024);
      },
    );

    it.each(GUARD_ALARMS.map((a) => [a.id, a] as const))(
      'regression: %s fits 1,024 characters once deployed, each token at its longest value (a 63-character identifier counted as its 20-character placeholder took deployed descriptions past the limit after synth passed them)',
      (_id, spec) => {
        // The longest inputs: identifier and database name known only at deploy time (63 each), a 128-character stack name, the longest interval, every command option.
        const path = 'p'.repeat(300);
        const ctx = {
          database: `${IDENTIFIER}/${NAME}`,
          logGroupName: `(stack ${'S'.repeat(128)}, resource GuardLogs1A2B3C4D)`,
          logGroupShortName: '(resource GuardLogs1A2B3C4D)',
          interval: '1439 minutes',
          command: { stateSchema: 's'.repeat(63), migrationsDir: path, contractsDir: path, snapshotFile: path },
          tokenMaxLengths: AT_MOST_63,
        };
        const d = guardAlarmDescription(spec, ctx);
        const deployed = d.replace(IDENTIFIER, 'i'.repeat(63)).replace(NAME, 'n'.repeat(63));
        expect(deployed.length).toBeLessThanOrEqual(1024);
        expect(deployedLength(d, AT_MOST_63)).toBe(deployed.length);
        expect(() => checkGuardDescription(spec, d, AT_MOST_63)).not.toThrow();
        // Still the runbook: the database, the command, the fix.
        expect(d).toContain(` on ${IDENTIFIER}/${NAME}: `);
        expect(d).toContain(`\nFirst: ${GUARD_FIRST_COMMAND} `);
        expect(d).toContain(`\nFix: ${spec.runbook.fix}`);
      },
    );

    it('the hint after the first command gives way to its short form last, when nothing else is left to drop', () => {
      const health = GUARD_ALARMS.find((a) => a.id === 'guard-health')!;
      const ctx = {
        ...CTX,
        database: `${IDENTIFIER}/${NAME}`,
        interval: '1439 minutes',
        command: { stateSchema: 's'.repeat(63), migrationsDir: 'm', contractsDir: 'c', snapshotFile: 's' },
        tokenMaxLengths: AT_MOST_63,
      };
      const d = guardAlarmDescription(health, ctx);
      expect(d).toContain(`${GUARD_FIRST_COMMAND} + the stack's --state-schema --dir --contracts --snapshot (the guard secret's password).\nFix: `);
      expect(guardAlarmDescription(health, CTX)).toContain(
        "(the guard secret's password at the prompt; app checkout; RDS CA bundle; docs guide/on-call); the guard's log group",
      );
    });

    it("regression: a token whose longest value is not given is refused naming the function, the field, the token and how to key it (the error named none of the context's fields)", () => {
      // Act
      const refusal = (ctx: Parameters<typeof guardAlarmDescription>[1]) => {
        try {
          guardAlarmDescription(GUARD_ALARMS[0]!, ctx);
          return '';
        } catch (e) {
          return (e as Error).message;
        }
      };
      // Assess: the field that holds it, in the database and in a command option alike
      expect(refusal({ ...CTX, database: `${IDENTIFIER}/app` })).toBe(
        `guardAlarmDescription: ctx.database holds a value known only at deploy time (${IDENTIFIER}), and ctx.tokenMaxLengths gives no longest length for it, ` +
          "so whether the description fits CloudWatch's 1,024 characters once deployed is unknown. Key its maximum by the token itself: " +
          'tokenMaxLengths: { [value]: n }, where value is what you put in ctx.database (e.g. { [instance.instanceIdentifier]: 63 }: an RDS identifier or database name has at most 63 characters)',
      );
      expect(refusal({ ...CTX, command: { stateSchema: NAME }, tokenMaxLengths: { [IDENTIFIER]: 63 } })).toContain(
        `ctx.command.stateSchema holds a value known only at deploy time (${NAME})`,
      );
      // Given, the same context is accepted and fitted.
      expect(refusal({ ...CTX, database: `${IDENTIFIER}/app`, tokenMaxLengths: { [IDENTIFIER]: 63 } })).toBe('');
    });

    it.each([-1, 1.5, Number.NaN])(
      'regression: refuses the longest length %s (a negative one made the description look shorter than it deploys)',
      (longest) => {
        expect(() => guardAlarmDescription(GUARD_ALARMS[0]!, { ...CTX, database: `${IDENTIFIER}/app`, tokenMaxLengths: { [IDENTIFIER]: longest } })).toThrow(
          `guardAlarmDescription: tokenMaxLengths gives ${IDENTIFIER} the longest length ${longest}; give a whole number of characters, 0 or more`,
        );
      },
    );

    it("a token keyed by a real CDK token (a CfnParameter's value) is counted at the length given", () => {
      // Prepare: a value CloudFormation knows only at deploy time
      const stack = new Stack(new App(), 'Guarded');
      const identifier = new CfnParameter(stack, 'DbIdentifier').valueAsString;
      // Act
      const d = guardAlarmDescription(GUARD_ALARMS[0]!, { ...CTX, database: `${identifier}/app`, tokenMaxLengths: { [identifier]: 63 } });
      // Assess
      expect(d).toContain(` on ${identifier}/app: `);
      expect(deployedLength(d, { [identifier]: 63 })).toBe(d.length - identifier.length + 63);
    });

    // Regression: a number known only at deploy time was counted as its placeholder, and a list token as its 18 characters.
    it('a number token needs no longest length (it counts as the longest a number prints as) and takes one keyed by String(n); a list token is refused naming the field', () => {
      // Prepare
      const stack = new Stack(new App(), 'Guarded');
      const port = new CfnParameter(stack, 'Port', { type: 'Number' }).valueAsNumber;
      const zones = new CfnParameter(stack, 'Zones', { type: 'CommaDelimitedList' }).valueAsList;
      const health = GUARD_ALARMS.find((a) => a.id === 'guard-health')!;
      // Act
      const d = guardAlarmDescription(health, { ...CTX, database: `orders-db:${port}/app` });
      const crowded = guardAlarmDescription(health, { ...CTX, database: `orders-db:${port}/app`, tokenMaxLengths: { [port]: 100 } });
      // Assess
      expect(d).toContain(` on orders-db:${port}/app: `);
      expect(deployedLength(d)).toBe(d.length - String(port).length + NUMBER_TOKEN_MAX_LENGTH);
      // Counted at 100, the description gives up the log group to stay within the limit.
      expect(d).toContain(`the guard's log group ${CTX.logGroupName}`);
      expect(crowded).not.toContain("the guard's log group");
      expect(deployedLength(crowded, { [port]: 100 })).toBeLessThanOrEqual(1024);
      expect(() => guardAlarmDescription(health, { ...CTX, database: `${zones}/app` })).toThrow(
        `guardAlarmDescription: ctx.database holds a list known only at deploy time (${String(zones)}), ` +
          'which CloudFormation cannot put into a description (synth would stop on it: "encoded list token string in a scalar string context"); join it into a string first: ' +
          "Fn.join(', ', list), and key the joined value's longest length by it in ctx.tokenMaxLengths",
      );
      const joined = Fn.join(',', zones);
      expect(guardAlarmDescription(health, { ...CTX, database: `${joined}/app`, tokenMaxLengths: { [joined]: 100 } })).toContain(` on ${joined}/app: `);
    });

    it('a log group reference that would take the description over 1,024 characters (a stack name of 128) gives way to the short one, then to none', () => {
      const health = GUARD_ALARMS.find((a) => a.id === 'guard-health')!;
      const ctx = {
        ...CTX,
        database: `${'d'.repeat(63)}/app`,
        logGroupName: `(stack ${'S'.repeat(128)}, resource GuardLogs1A2B3C4D)`,
        logGroupShortName: '(resource GuardLogs1A2B3C4D)',
      };
      const d = guardAlarmDescription(health, ctx);
      expect(d).toContain("the guard's log group (resource GuardLogs1A2B3C4D) has the last run's.");
      expect(d.length).toBeLessThanOrEqual(1024);
      const none = guardAlarmDescription(health, { ...ctx, logGroupShortName: 'L'.repeat(200) });
      expect(none).toContain('RDS CA bundle; docs guide/on-call).\nFix: ');
      expect(none.length).toBeLessThanOrEqual(1024);
    });
  });
});
