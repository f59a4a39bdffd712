/**
 * Security: SQL built from identifiers that come from configuration (the
 * state schema's name, index names found in the catalog) is quoted, proven
 * with hostile names; and the synthesised cloud assembly holds no secret.
 * (IAM, security group, TLS-only parameter group and cdk-nag are asserted in
 * test/lib/schema-migrations.test.ts, test/lib/database-stack.test.ts and
 * test/lib/nag.test.ts.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../lambda/driver/pg/advisory-lock';
import { ENV, PROP } from '../../lambda/handler/constants';
import { buildApp } from '../../lib/app';
import { readAppConfig } from '../../lib/app-config';
import { dropDatabases, freshDatabase, rows, versionPair, withClient } from '../support/db';
import { driverKinds } from '../support/drivers';
import { runCli } from '../support/cli';
import { rejection, runEngine } from '../support/engine';
import { tempDir } from '../support/files';
import { handlerRig } from './handler-rig';
import { expectConsistent, leaks, steps, Transcript, URL_WITH_PASSWORD, cliInProcess } from './support';

afterAll(dropDatabases);

const transcript = new Transcript();
const record = <R extends { stdout: string; stderr: string }>(r: R): R => {
  transcript.add(r.stdout, r.stderr);
  return r;
};

const HOSTILE = [
  'x"; DROP TABLE important; --',
  "Robert'); DROP TABLE students;--",
  '$$; DROP TABLE important; $$',
  'back\\slash"" and "quotes',
  'schéma ☃ ünïcode',
  'x$schemaguard$; DROP TABLE important; $schemaguard$', // the tag of the DO block that creates the schema
];

const victims = async (url: string) =>
  rows<{ important: number; students: number }>(
    url,
    'SELECT (SELECT count(*)::int FROM important) AS important, (SELECT count(*)::int FROM students) AS students',
  );

async function prepareVictims(url: string): Promise<void> {
  await withClient(url, (c) =>
    c.query(
      "CREATE TABLE important (id int); INSERT INTO important VALUES (1), (2); CREATE TABLE students (name text); INSERT INTO students VALUES ('Robert')",
    ),
  );
}

describe.each(versionPair)('Security: hostile state schema names, on $name', (target) => {
  // Quoting does not depend on the server version: every name on the first server, two on the others.
  it.each(target === versionPair[0] ? HOSTILE : HOSTILE.slice(0, 2))(
    '--state-schema %j: the state table lives in exactly that schema; migrate, status, plan and a rerun work; nothing is dropped',
    async (schema) => {
      const url = await freshDatabase(target, 'hostile_schema');
      await prepareVictims(url);
      const dir = tempDir(steps(2));

      const m = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url, '--state-schema', schema]));
      const again = record(await cliInProcess(['migrate', '--dir', dir, '--database-url', url, '--state-schema', schema]));
      const status = record(await cliInProcess(['status', '--json', '--dir', dir, '--database-url', url, '--state-schema', schema]));
      const plan = record(await cliInProcess(['plan', '--json', '--dir', dir, '--database-url', url, '--state-schema', schema]));

      expect(m.code, m.stderr).toBe(0);
      expect(again.stdout).toContain('up to date: version 2, 2 applied');
      expect(JSON.parse(status.stdout).migrations.map((x: { status: string }) => x.status)).toEqual(['applied', 'applied']);
      expect(JSON.parse(plan.stdout).pending).toEqual([]);
      expect(
        await rows(
          url,
          "SELECT n.nspname AS schema, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relname = 'applied_migrations'",
        ),
      ).toEqual([{ schema, t: 'applied_migrations' }]);
      expect(await rows(url, "SELECT to_regnamespace('schemaguard') AS s")).toEqual([{ s: null }]);
      expect(await victims(url)).toEqual([{ important: 2, students: 1 }]);
      await expectConsistent(url, [1, 2], schema);
      // The runner lock is keyed on the exact name: another schema's runner is not blocked by it.
      expect(advisoryLockKey(schema)).not.toBe(advisoryLockKey('schemaguard'));
    },
  );

  it("a password in PGPASSWORD (a URL without one) is masked in what the CLI prints, as the URL's is", async () => {
    const withPassword = new URL(await freshDatabase(target, 'pgpassword'));
    const secret = decodeURIComponent(withPassword.password);
    withPassword.password = '';
    const dir = tempDir({ '1_leak.sql': `SELECT '${secret.replace(/'/g, "''")}'::int;` });

    // A process of its own: node-postgres reads PGPASSWORD from the process's environment.
    const r = await runCli(['migrate', '--dir', dir, '--database-url', withPassword.toString()], { env: { PGPASSWORD: secret } });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('invalid input syntax for type integer: "****"');
    expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
  });

  it('an INVALID index with a hostile name, left by a failed concurrent build, is dropped by its quoted name and nothing else', async () => {
    const url = await freshDatabase(target, 'hostile_index');
    await prepareVictims(url);
    await withClient(url, (c) => c.query('CREATE TABLE dup (k int); INSERT INTO dup VALUES (1), (1)'));
    const dir = tempDir({ '1_idx.sql': '-- schemaguard:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY "i""; DROP TABLE important; --" ON dup (k);' });

    const e = await rejection<Error>(runEngine(driverKinds[0]!, url, dir));

    expect(e.message).toContain('could not create unique index');
    expect(await rows(url, 'SELECT count(*)::int AS n FROM pg_index WHERE NOT indisvalid')).toEqual([{ n: 0 }]);
    expect(await victims(url)).toEqual([{ important: 2, students: 1 }]);
  });

  it('the custom resource with a hostile SCHEMAGUARD_STATE_SCHEMA applies, records in that schema and drops nothing', async () => {
    const schema = HOSTILE[0]!;
    const r = await handlerRig(transcript, target, 'hostile_cfn', steps(2), { env: { [ENV.stateSchema]: schema } });
    try {
      await prepareVictims(r.url);
      // The victims predate the files: the baseline says every file runs beside them.
      const created = await r.harness.send({
        RequestType: 'Create',
        ResourceProperties: { ...r.props(), [PROP.baselineVersion]: 'none', [PROP.baselineReason]: 'the victims predate the files' },
      });
      transcript.add(JSON.stringify(created));
      expect(created.Status, created.Reason).toBe('SUCCESS');
      await expectConsistent(r.url, [1, 2], schema);
      expect(await victims(r.url)).toEqual([{ important: 2, students: 1 }]);
    } finally {
      await r.done();
    }
  });
});

describe('Security: the synthesised cloud assembly', () => {
  it('holds no password, no connection string with a password and no literal secret, in any template or manifest', () => {
    const outdir = tempDir({}, 'cdk-out');
    // Templates are what is scanned: skip bundling the handler (test/lib/schema-migrations.test.ts bundles it).
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const config = readAppConfig(() => undefined, []);
    buildApp(app, { ...config, stage: 'prod' }, { migrationsDir: tempDir(steps(2)) });
    app.synth();

    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(outdir);
    const texts = files.filter((f) => /\.(json|js|mjs|cjs|txt)$/.test(f)).map((f) => ({ f, t: readFileSync(f, 'utf8') }));
    const templates = texts.filter((x) => x.f.endsWith('.template.json'));

    expect(templates.length).toBe(1);
    expect(texts.filter((x) => URL_WITH_PASSWORD.test(x.t)).map((x) => x.f)).toEqual([]);
    expect(texts.filter((x) => versionPair.some((t) => x.t.includes(t.password))).map((x) => x.f)).toEqual([]);
    for (const { t } of templates) {
      // A password may appear only as a dynamic reference resolved by CloudFormation at deploy time.
      for (const m of t.matchAll(/"(MasterUserPassword|Password|password|SecretString)"\s*:\s*("(?:[^"\\]|\\.)*"|\{[^}]*\})/g)) {
        expect(m[2], m[0]).toMatch(/resolve:secretsmanager|Fn::Join|"Ref"/);
      }
      expect(t).not.toMatch(/"GenerateSecretString"\s*:\s*\{[^}]*"SecretStringTemplate"\s*:\s*"[^"]*password/i);
    }
  }, 120_000);
});

describe('Security: the output of these runs', () => {
  it('holds no password and no connection string with a password', () => {
    expect(transcript.texts.length).toBeGreaterThan(20);
    expect(leaks(transcript.texts, [...transcript.secrets, ...versionPair.map((t) => t.password)])).toEqual([]);
  });
});
