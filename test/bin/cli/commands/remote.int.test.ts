/**
 * The CLI through the deployed migration function (`--function`): the real
 * executable's LambdaClient and STSClient pointed (AWS_ENDPOINT_URL_LAMBDA,
 * AWS_ENDPOINT_URL_STS) at local endpoints; the Invoke endpoint hands the
 * payload the SDK sent, as the Lambda runtime would, to the handler's onEvent
 * in this process, which runs the command against real PostgreSQL with its
 * own files and answers; the CLI prints that answer. Then the same through
 * the real bundles (dist/handler/index.js loading operator.js, Data API mode).
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { FLAGS } from '../../../../bin/cli/args';
import type { Command } from '../../../../bin/cli/registry';
import { runOperatorCommand } from '../../../../bin/cli/in-function';
import { takeSnapshot } from '../../../../lambda/checks/drift/drift';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { ENV } from '../../../../lambda/handler/constants';
import { createHandlers, type Handlers } from '../../../../lambda/handler/handler';
import { OPERATOR_PROTOCOL_VERSION, OPERATOR_REQUEST_FIELD, type OperatorRequest, type OperatorResult } from '../../../../lambda/handler/operator-protocol';
import { AwsEndpoints, TEST_CALLER_ARN } from '../../../support/aws-endpoints';
import { ROOT, runCli } from '../../../support/cli';
import { DataApiStandin } from '../../../support/data-api-standin';
import { TEST_CLUSTER_ARN, TEST_SECRET_ARN } from '../../../support/drivers';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { addFile, tempDir } from '../../../support/files';
import type { Target } from '../../../support/targets';

afterAll(dropDatabases);

const FUNCTION = 'Schemaguard-MigrationsOnEvent-AbC123';
const FILES = {
  '1_leads.sql': 'CREATE TABLE leads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\n',
  '2_notes.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id bigint REFERENCES leads (id));\n',
};
const CONTEXT = { getRemainingTimeInMillis: () => 300_000, awsRequestId: 'req-operator-1' };

interface Rig {
  url: string;
  dir: string;
  contracts: string;
  handlers: Handlers;
  endpoints: AwsEndpoints;
  lines: string[];
  /** What the CLI printed through the function (stdout, stderr). */
  printed: string[];
  /** The CLI through the function. */
  remote(args: string[], extraEnv?: NodeJS.ProcessEnv): ReturnType<typeof runCli>;
  /** The CLI with the same files, through a URL to the same database. */
  local(args: string[]): ReturnType<typeof runCli>;
}

const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A database migrated with FILES (a third file pending), and the function's handler behind a Lambda Invoke endpoint. */
async function rig(target: Target, label: string, env: Record<string, string> = {}, migrate = true): Promise<Rig> {
  const url = await freshDatabase(target, label);
  const dir = tempDir(FILES);
  const contracts = tempDir({ 'lead_by_email.sql': 'SELECT id FROM leads WHERE email = $1;\n' }, 'contracts');
  if (migrate) expect((await runCli(['migrate', '--dir', dir, '--database-url', url, '--quiet'], { env: { DATABASE_URL: undefined } })).code).toBe(0);
  addFile(dir, '3_tags.sql', 'ALTER TABLE notes ADD COLUMN tag text;\n');
  const snapshot = join(tempDir({}, 'snapshot'), 'schema.snapshot.json');
  await withClient(url, async (c: pg.Client) => writeFileSync(snapshot, JSON.stringify(await takeSnapshot(c, loadMigrations(dir)))));
  const u = new URL(url);
  const secrets = {
    send: async () => ({
      SecretString: JSON.stringify({
        username: decodeURIComponent(u.username),
        password: target.password,
        host: '127.0.0.1',
        port: target.port,
        dbname: u.pathname.slice(1),
      }),
    }),
  };
  const lines: string[] = [];
  const printed: string[] = [];
  const handlers = createHandlers({
    secrets,
    write: (l) => lines.push(l),
    operator: runOperatorCommand,
    env: {
      [ENV.secretArn]: TEST_SECRET_ARN,
      [ENV.migrationsDir]: dir,
      [ENV.contractsDir]: contracts,
      [ENV.snapshotFile]: snapshot,
      [ENV.tls]: 'disable',
      [ENV.connectAttempts]: '1',
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION,
      ...env,
    },
  });
  const endpoints = new AwsEndpoints({ lambda: (payload) => handlers.operator(payload, CONTEXT) });
  await endpoints.start();
  stops.push(() => endpoints.stop());
  return {
    url,
    dir,
    contracts,
    handlers,
    endpoints,
    lines,
    printed,
    remote: async (args, extraEnv = {}) => {
      const res = await runCli([...args, '--function', FUNCTION], { env: { ...endpoints.env(), DATABASE_URL: undefined, ...extraEnv }, cwd: dirname(dir) });
      printed.push(res.stdout, res.stderr);
      return res;
    },
    // The function's own files, as the flags the command takes (the parser refuses the others); from the app's folder, no project file above it.
    local: (args) =>
      runCli([...args, ...takes(args[0]!, ['--dir', dir], ['--contracts', contracts], ['--snapshot', snapshot]), '--database-url', url], {
        env: { DATABASE_URL: undefined },
        cwd: dirname(dir),
      }),
  };
}

/** The secret's password was in no line the function logged, no answer it sent, nothing the CLI printed. */
function expectPasswordKept(r: Rig, password: string): void {
  expect(r.lines.length).toBeGreaterThan(0);
  expect(r.lines.filter((l) => l.includes(password))).toEqual([]);
  expect(r.endpoints.invocations.length).toBeGreaterThan(0);
  expect(r.endpoints.invocations.filter((i) => JSON.stringify(i).includes(password))).toEqual([]);
  expect(r.printed.filter((t) => t.includes(password))).toEqual([]);
}

/** What differs between the two ways in and from run to run: the URL's masked password, timings. */
const same = (text: string) =>
  text
    .replace(/postgres:\/\/([^:@/\s]+)(:\*\*\*\*)?@/g, 'postgres://$1@')
    .replace(/\d+ ms/g, 'N ms')
    .replace(/"durationMs":\d+/g, '"durationMs":N');

describe.each(targets)('CLI: --function (the deployed migration function) on $name', (target) => {
  it('status, plan, doctor, guard and diff print what the local command prints, --json included, with its exit code', async () => {
    const r = await rig(target, 'fn_reads');
    for (const args of [['status', '--exit-code'], ['status', '--json'], ['plan'], ['doctor', '--json'], ['guard'], ['diff']]) {
      // Act
      const [remote, local] = [await r.remote(args), await r.local(args)];
      // Assess
      expect(remote.code, `${args.join(' ')}: ${remote.stderr}`).toBe(local.code);
      expect(same(remote.stdout), args.join(' ')).toBe(same(local.stdout));
      expect(remote.stdout.length, args.join(' ')).toBeGreaterThan(0);
    }
    // Each call said who asked (the STS ARN), and carried the flags, not the files
    const sent = r.endpoints.invocations.map((i) => JSON.parse(i.payload) as OperatorRequest);
    expect(sent[1]).toEqual({
      [OPERATOR_REQUEST_FIELD]: OPERATOR_PROTOCOL_VERSION,
      command: 'status',
      args: [],
      flags: { '--format': 'json' },
      caller: { identity: TEST_CALLER_ARN, source: 'sts' },
    });
    expect(r.endpoints.invocations.every((i) => i.functionName === FUNCTION)).toBe(true);
    const logged = r.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'operator command');
    expect(logged[0]).toMatchObject({ command: 'status', caller: { identity: TEST_CALLER_ARN, source: 'sts' }, callerVerified: false, phase: 'operator' });
    expectPasswordKept(r, target.password);
  });

  it('baseline through the function is refused while operatorCommands.writes is off: exit 2, the prop named, nothing written', async () => {
    const r = await rig(target, 'fn_write_off', {}, false);
    for (const json of [false, true]) {
      const res = await r.remote(['baseline', '1', '--reason', 'adopt', ...(json ? ['--json'] : [])]);
      expect(res.code).toBe(2);
      if (json)
        expect(JSON.parse(res.stdout)).toMatchObject({
          command: 'baseline',
          error: 'UsageError',
          fix: expect.stringContaining('operatorCommands: { writes: true }'),
        });
      else expect(res.stderr).toContain('baseline through the operator function is turned off');
    }
    expect((await rows<{ t: string | null }>(r.url, "SELECT to_regclass('schemaguard.applied_migrations')::text AS t"))[0]!.t).toBeNull();
  });

  it('baseline and repair through the function, where writes are on, record the caller and the reason', async () => {
    const r = await rig(target, 'fn_write_on', { [ENV.operatorWrites]: 'true' }, false);
    await withClient(r.url, (c) => c.query(FILES['1_leads.sql']));
    const based = await r.remote(['baseline', '1', '--reason', 'adopted: built by hand']);
    expect(based.code, based.stderr).toBe(0);
    expect(based.stdout).toContain('baseline 1: recorded 1 file as applied without running it (kind baseline): 1_leads.sql');
    writeFileSync(join(r.dir, '1_leads.sql'), `${FILES['1_leads.sql']}-- reformatted\n`);
    const repaired = await r.remote(['repair', '1', '--reason', 'comment added', '--json'], {});
    expect(repaired.code, repaired.stderr).toBe(0);
    const named = await r.remote(['repair', '--reason', 'again', '--actor', 'bob@example.com']);
    expect(named.code, named.stderr).toBe(0);
    expect(await rows(r.url, 'SELECT version, kind, reason, applied_by FROM schemaguard.applied_migrations')).toEqual([
      { version: '1', kind: 'baseline', reason: 'adopted: built by hand', applied_by: `${TEST_CALLER_ARN} via function ${FUNCTION}` },
    ]);
    expect(await rows(r.url, 'SELECT reason, repaired_by FROM schemaguard.checksum_repairs')).toEqual([
      { reason: 'comment added', repaired_by: `${TEST_CALLER_ARN} via function ${FUNCTION}` },
    ]);
    expect(r.lines.map((l) => JSON.parse(l)).find((l) => l.message === 'operator command' && l.caller?.source === 'actor')).toMatchObject({
      caller: { identity: 'bob@example.com' },
      flags: { '--reason': 'again' },
    });
    expectPasswordKept(r, target.password);
  });

  it('the function refuses what it does not run: another command, a flag naming files or a database, a flag as an argument, an unknown payload', async () => {
    const r = await rig(target, 'fn_refusals');
    const ask = (request: Partial<OperatorRequest>) =>
      r.handlers.operator(
        {
          [OPERATOR_REQUEST_FIELD]: OPERATOR_PROTOCOL_VERSION,
          command: 'status',
          args: [],
          flags: {},
          caller: { identity: 'x', source: 'actor' },
          ...request,
        } as OperatorRequest,
        CONTEXT,
      );
    const text = (res: OperatorResult) => res.output.map(([, t]) => t).join('');
    for (const [request, message] of [
      [{ command: 'migrate' }, 'the operator function runs status, plan, diff, guard, doctor, baseline, repair; not "migrate"'],
      [{ command: 'capture' }, 'not "capture"'],
      // A flag in the command's place never reaches the parser: the function's own files stay its own.
      [{ command: '--dir=/etc' }, 'not "--dir=/etc"'],
      [{ command: '--snapshot', args: ['/proc/self/environ'] }, 'not "--snapshot"'],
      [{ command: ['status', '--dir=/etc'] as never }, 'not ["status","--dir=/etc"]'],
      [{ command: 'constructor' }, 'not "constructor"'],
      [{ flags: { '--database-url': 'postgres://elsewhere/db' } }, 'the operator function takes no --database-url'],
      [{ flags: { '--dir': '/etc' } }, 'takes no --dir'],
      [{ command: 'baseline', args: ['--database-url=postgres://elsewhere/db'] }, 'arguments must be plain values'],
    ] as const) {
      const res = await ask(request as Partial<OperatorRequest>);
      expect(res.exitCode, JSON.stringify(request)).toBe(2);
      expect(text(res)).toContain(message);
    }
    await expect(r.handlers.operator({ hello: 'world' }, CONTEXT)).rejects.toThrow(/the operator function runs operator commands only/);
    await expect(
      r.handlers.operator({ RequestType: 'Create', ResourceType: 'Custom::SchemaMigrations', LogicalResourceId: 'M', RequestId: 'r', StackId: 's' }, CONTEXT),
    ).rejects.toThrow(/the operator function runs operator commands only/);
    // The migration function serves CloudFormation alone: an operator request sent there is refused, naming the operator function.
    const there = (await r.handlers.onEvent(
      { [OPERATOR_REQUEST_FIELD]: OPERATOR_PROTOCOL_VERSION, command: 'status', args: [], flags: {}, caller: { identity: 'x', source: 'actor' } },
      CONTEXT,
    )) as OperatorResult;
    expect(there.exitCode).toBe(2);
    expect(text(there)).toContain('serves CloudFormation only: operator commands go to the operator function (SchemaMigrations.operatorFunction)');
    // Every request above finished as a usage error (exit 2): none ran its command.
    const finished = r.lines.map((l) => JSON.parse(l)).filter((l) => l.message === 'operator command finished');
    expect(finished.map((l) => l.exitCode)).toEqual(finished.map(() => 2));
    // And the CLI refuses, before invoking, the flags that name local files or a database
    const local = await r.remote(['status', '--dir', r.dir]);
    expect(local.code).toBe(2);
    expect(local.stderr).toContain('--dir is for a local run: with --function, the function uses its own files, database and state schema');
    expect(r.endpoints.invocations).toEqual([]);
  });
});

describe('CLI: --function through the real bundles (dist/handler: index.js loading operator.js), the function on the Data API', () => {
  it.each(targets.slice(0, 1))('status --json on $name: the answer of the bundled operator commands', async (target) => {
    // Prepare: the function's directory as Lambda has it: the bundles, the files, CommonJS.
    const url = await freshDatabase(target, 'fn_bundle');
    const taskRoot = mkdtempSync(join(tmpdir(), 'schemaguard-task-'));
    cpSync(join(ROOT, 'dist', 'handler'), taskRoot, { recursive: true });
    cpSync(tempDir(FILES), join(taskRoot, 'migrations'), { recursive: true });
    writeFileSync(join(taskRoot, 'package.json'), '{"type":"commonjs"}');
    // The SDK the Lambda runtime provides, here the package's own.
    symlinkSync(join(ROOT, 'node_modules'), join(taskRoot, 'node_modules'));
    const standin = new DataApiStandin(url);
    const endpoints = new AwsEndpoints({ dataApi: standin, lambda: (payload) => bundle.operator(payload, CONTEXT) });
    await endpoints.start();
    const saved = { ...process.env };
    Object.assign(process.env, endpoints.env(), {
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION,
      [ENV.secretArn]: TEST_SECRET_ARN,
      [ENV.clusterArn]: TEST_CLUSTER_ARN,
      [ENV.databaseName]: new URL(url).pathname.slice(1),
      [ENV.snapshotFile]: '',
    });
    const bundle = createRequire(join(taskRoot, 'index.js'))('./index.js') as { operator(e: unknown, c: unknown): Promise<unknown> };
    try {
      // Act
      const res = await runCli(['status', '--json', '--function', FUNCTION], { env: { ...endpoints.env(), DATABASE_URL: undefined } });
      // Assess: the bundled commands read the deployed files, through the Data API
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({
        command: 'status',
        target: `data-api://${TEST_CLUSTER_ARN}/${new URL(url).pathname.slice(1)}`,
        currentVersion: null,
        migrations: [
          { version: 1, status: 'pending' },
          { version: 2, status: 'pending' },
        ],
      });
      expect(standin.calls.length).toBeGreaterThan(0);
    } finally {
      process.env = saved;
      await endpoints.stop();
      await standin.close();
      rmSync(taskRoot, { recursive: true, force: true });
    }
  });
});

/** The flag-value pairs `command` takes. */
function takes(command: string, ...pairs: [string, string][]): string[] {
  return pairs.filter(([flag]) => FLAGS[flag]?.for === undefined || FLAGS[flag]!.for!.includes(command as Command)).flat();
}
