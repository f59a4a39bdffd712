/**
 * The CLI through the RDS Data API (`--cluster-arn`, `--secret-arn`,
 * `--database`): the real executable, its real RDSDataClient pointed at a
 * local endpoint (AWS_ENDPOINT_URL_RDS_DATA) that hands each call to the
 * Data API stand-in on a real PostgreSQL. Every command that reads or writes
 * the database answers as it does through a URL to the same database.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { takeSnapshot } from '../../../../lambda/checks/drift/drift';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { main } from '../../../../bin/cli/main';
import { AwsEndpoints } from '../../../support/aws-endpoints';
import { runCli } from '../../../support/cli';
import { DataApiStandin } from '../../../support/data-api-standin';
import { TEST_CLUSTER_ARN, TEST_SECRET_ARN } from '../../../support/drivers';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';

afterAll(dropDatabases);

const FILES = {
  '1_leads.sql': 'CREATE TABLE leads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\n',
  '2_notes.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id bigint REFERENCES leads (id));\n',
};

interface Rig {
  url: string;
  standin: DataApiStandin;
  endpoints: AwsEndpoints;
  flags: string[];
  env: NodeJS.ProcessEnv;
}

const rigs: Rig[] = [];
afterAll(async () => {
  for (const r of rigs.splice(0)) {
    await r.endpoints.stop();
    await r.standin.close();
  }
});

/** A fresh database behind the stand-in, and the flags and environment that reach it through the Data API. */
async function rig(target: (typeof targets)[number], label: string): Promise<Rig> {
  const url = await freshDatabase(target, label);
  const standin = new DataApiStandin(url);
  const endpoints = new AwsEndpoints({ dataApi: standin });
  await endpoints.start();
  const r = {
    url,
    standin,
    endpoints,
    flags: ['--cluster-arn', TEST_CLUSTER_ARN, '--secret-arn', TEST_SECRET_ARN, '--database', new URL(url).pathname.slice(1)],
    env: { ...endpoints.env(), DATABASE_URL: undefined },
  };
  rigs.push(r);
  return r;
}

/** A status --json with the target (the one thing that differs between the two ways in) left out. */
const withoutTarget = (stdout: string) => ({ ...JSON.parse(stdout), target: undefined });

describe.each(targets)('CLI: the Data API (--cluster-arn) on $name', (target) => {
  it('migrate, status, plan, lint, check, doctor, guard and diff through the Data API answer as through a URL', async () => {
    // Prepare
    const r = await rig(target, 'cli_dapi');
    const dir = tempDir(FILES);
    const contracts = tempDir({ 'lead_by_email.sql': 'SELECT id FROM leads WHERE email = $1;\n' }, 'contracts');
    // --dir for the commands that read the files (check and doctor read the database and the contracts only).
    const run = (args: string[]) => runCli([...args, ...(['check', 'doctor'].includes(args[0]!) ? [] : ['--dir', dir]), ...r.flags], { env: r.env, cwd: dir });

    // Act: migrate through the Data API
    const migrated = await run(['migrate']);
    // Assess: it ran, through the stand-in (BeginTransaction per migration), and the database has both files
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/^applied 2 migrations in \d+ ms/);
    expect(migrated.stderr).toContain(`migrate data-api://${TEST_CLUSTER_ARN}/`);
    expect(r.standin.calls.filter((c) => c.command === 'BeginTransaction').length).toBeGreaterThanOrEqual(2);
    expect((await rows<{ version: string }>(r.url, 'SELECT version FROM schemaguard.applied_migrations ORDER BY 1')).map((x) => x.version)).toEqual(['1', '2']);

    // status: the same JSON as through a URL to the same database, but the target
    const viaApi = await run(['status', '--json']);
    const viaUrl = await runCli(['status', '--json', '--dir', dir, '--database-url', r.url], { env: { DATABASE_URL: undefined }, cwd: dir });
    expect(viaApi.code, viaApi.stderr).toBe(0);
    expect(JSON.parse(viaApi.stdout).target).toBe(`data-api://${TEST_CLUSTER_ARN}/${new URL(r.url).pathname.slice(1)}`);
    expect(withoutTarget(viaApi.stdout)).toEqual(withoutTarget(viaUrl.stdout));

    // plan: a new file pending, with its lock
    addFile(dir, '3_tags.sql', 'ALTER TABLE notes ADD COLUMN tag text;\n');
    const planned = await run(['plan']);
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('3_tags.sql');
    expect(planned.stdout).toMatch(/3_tags\.sql:1\s+ACCESS EXCLUSIVE\s+public\.notes/);

    // lint: the pending file against the database's tables, as through a URL
    const lintApi = await run(['lint', '--json']);
    const lintUrl = await runCli(['lint', '--json', '--dir', dir, '--database-url', r.url], { env: { DATABASE_URL: undefined }, cwd: dir });
    expect(lintApi.code, lintApi.stderr).toBe(lintUrl.code);
    // The same but for the database each names in its scope.
    const unnamed = (json: string) => JSON.parse(json.replace(/data-api:\/\/[^/"]+\/|postgres:\/\/[^/"]+\//g, 'DB/'));
    expect(unnamed(lintApi.stdout)).toEqual(unnamed(lintUrl.stdout));
    expect(JSON.parse(lintApi.stdout)).toHaveProperty('refusals');

    // check, doctor, guard: read-only passes
    const checked = await run(['check', '--contracts', contracts]);
    expect(checked.code, checked.stderr + checked.stdout).toBe(0);
    expect(checked.stdout).toContain('contracts: 1 passed, 0 failed');
    const doctored = await run(['doctor', '--json']);
    expect([0, 1]).toContain(doctored.code);
    expect(JSON.parse(doctored.stdout)).toMatchObject({ command: 'doctor', target: expect.stringMatching(/^data-api:\/\//) });
    const guarded = await run(['guard', '--json', '--contracts', contracts]);
    expect(JSON.parse(guarded.stdout)).toMatchObject({ command: 'guard', metrics: expect.objectContaining({ PendingMigrations: 1 }) });

    // diff: against a snapshot of the same database, no drift
    const snapshot = join(tempDir({}, 'snapshot'), 'snapshot.json');
    await withClient(r.url, async (c: pg.Client) => writeFileSync(snapshot, JSON.stringify(await takeSnapshot(c, loadMigrations(dir)))));
    const diffed = await run(['diff', '--snapshot', snapshot]);
    expect(diffed.code, diffed.stderr + diffed.stdout).toBe(0);
    expect(diffed.stdout).toContain('no drift');
  });

  it('baseline and repair through the Data API record who and why, as through a URL', async () => {
    const r = await rig(target, 'cli_dapi_adopt');
    await withClient(r.url, (c) => c.query(FILES['1_leads.sql']));
    const dir = tempDir(FILES);
    const run = (args: string[]) => runCli([...args, '--dir', dir, ...r.flags], { env: { ...r.env, SCHEMAGUARD_APPLIED_BY: 'ci:adopt' } });

    const based = await run(['baseline', '1', '--reason', 'built by hand']);
    expect(based.code, based.stderr).toBe(0);
    expect(based.stdout).toContain('baseline 1: recorded 1 file as applied without running it (kind baseline): 1_leads.sql');
    const migrated = await run(['migrate']);
    expect(migrated.code, migrated.stderr).toBe(0);
    writeFileSync(join(dir, '1_leads.sql'), `${FILES['1_leads.sql']}-- reformatted\n`);
    const repaired = await run(['repair', '1', '--reason', 'comment added']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(await rows(r.url, 'SELECT version, kind, reason, applied_by FROM schemaguard.applied_migrations ORDER BY 1')).toEqual([
      { version: '1', kind: 'baseline', reason: 'built by hand', applied_by: 'ci:adopt' },
      { version: '2', kind: 'migrate', reason: null, applied_by: 'ci:adopt' },
    ]);
    expect(await rows(r.url, 'SELECT version, reason, repaired_by FROM schemaguard.checksum_repairs')).toEqual([
      { version: '1', reason: 'comment added', repaired_by: 'ci:adopt' },
    ]);
  });
});

describe('CLI: the Data API flags, refused before anything is reached', () => {
  const quiet = () => {
    const out: string[] = [];
    return { out, io: { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env: {} as NodeJS.ProcessEnv } };
  };
  it.each([
    [['status', '--cluster-arn', TEST_CLUSTER_ARN], /--cluster-arn needs --secret-arn/],
    [['status', '--secret-arn', TEST_SECRET_ARN], /--secret-arn is for the RDS Data API, and --cluster-arn is not given/],
    [['status', '--database', 'orders'], /--database is for the RDS Data API, and --cluster-arn is not given/],
    [
      ['status', '--cluster-arn', TEST_CLUSTER_ARN, '--secret-arn', TEST_SECRET_ARN, '--database-url', 'postgres://x@h/d'],
      /--cluster-arn and --database-url name two different databases/,
    ],
    [['status', '--cluster-arn', TEST_CLUSTER_ARN, '--secret-arn', TEST_SECRET_ARN, '--embedded'], /--cluster-arn and --embedded name two different databases/],
    [['status', '--cluster-arn', 'my-cluster', '--secret-arn', TEST_SECRET_ARN], /--cluster-arn "my-cluster" is not an Aurora cluster ARN/],
    [['snapshot', '--cluster-arn', TEST_CLUSTER_ARN], /snapshot does not use --cluster-arn/],
  ])('%j: exit 2, naming the flag and the fix', async (argv, message) => {
    const { out, io } = quiet();
    const code = await main([...argv, '--dir', tempDir(FILES)], io);
    expect(code).toBe(2);
    expect(out.join('')).toMatch(message);
  });
});
