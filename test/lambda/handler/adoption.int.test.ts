/**
 * Adopting a database that already has a schema, in the deploy
 * (SchemaMigrations `baseline`): the handler under the real Provider
 * framework runtime against real PostgreSQL, the database built beforehand
 * by running the files' SQL by hand (or by another tool, whose history table
 * is made as that tool makes it).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ATTR, ENV, OUTCOME, PROP } from '../../../lambda/handler/constants';
import { summariseFiles } from '../../../lambda/handler/files-hash';
import { asDeployed } from '../../support/as-deployed';
import { runCli } from '../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';
import { DataApiStandin } from '../../support/data-api-standin';
import { TEST_CLUSTER_ARN, TEST_SECRET_ARN } from '../../support/drivers';
import { ProviderHarness, type CfnResponse } from '../../support/provider-framework';
import type { Target } from '../../support/targets';

afterAll(dropDatabases);

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:schemaguard-adopt-AbCdEf';

/** Each file fails when run a second time (CREATE TABLE of a table that exists; the INSERT doubles a row the CHECK of 3 counts). */
const FILES = {
  '1_leads.sql':
    'CREATE TABLE leads (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL);\nCREATE UNIQUE INDEX leads_email ON leads (email);\n',
  '2_plans.sql': "CREATE TABLE plans (code text PRIMARY KEY);\nINSERT INTO plans VALUES ('basic');\n",
  '3_lead_plan.sql': 'ALTER TABLE leads ADD COLUMN plan text REFERENCES plans (code);\n',
  '4_notes.sql': 'CREATE TABLE notes (id bigint PRIMARY KEY, lead_id bigint REFERENCES leads (id));\n',
  '5_tags.sql': 'CREATE TABLE tags (id bigint PRIMARY KEY);\n',
};

const FLYWAY_HISTORY = `CREATE TABLE flyway_schema_history (
  installed_rank integer PRIMARY KEY, version varchar(50), description varchar(200) NOT NULL, type varchar(20) NOT NULL,
  script varchar(1000) NOT NULL, checksum integer, installed_by varchar(100) NOT NULL,
  installed_on timestamp NOT NULL DEFAULT now(), execution_time integer NOT NULL, success boolean NOT NULL)`;

interface Rig {
  harness: ProviderHarness;
  url: string;
  lines: string[];
  /** The password the secret holds: never in a log line or a response. */
  password: string;
  responses: CfnResponse[];
  send(event: Parameters<ProviderHarness['send']>[0]): Promise<CfnResponse>;
  props(extra?: Record<string, string>): Record<string, unknown>;
}

/** A database with `byHand` files' SQL run in it (and `sql` after), and the handler behind the framework, pointed at `files`. */
async function rig(
  target: Target,
  label: string,
  files: Record<string, string>,
  byHand: string[],
  sql: string[] = [],
  env: Record<string, string> = {},
): Promise<Rig> {
  const url = await freshDatabase(target, label);
  await withClient(url, async (c) => {
    for (const f of byHand) await c.query(files[f]!);
    for (const s of sql) await c.query(s);
  });
  const dir = tempDir(files);
  const admin = new URL(url);
  const secrets = {
    send: async () => ({
      SecretString: JSON.stringify({
        username: decodeURIComponent(admin.username),
        password: target.password,
        host: '127.0.0.1',
        port: target.port,
        dbname: admin.pathname.slice(1),
      }),
    }),
  };
  const lines: string[] = [];
  const handlers = asDeployed({
    secrets,
    write: (l) => lines.push(l),
    env: {
      [ENV.secretArn]: SECRET_ARN,
      [ENV.migrationsDir]: dir,
      [ENV.contractsDir]: `${dir}/none`,
      [ENV.tls]: 'disable',
      [ENV.reserveMs]: '1000',
      [ENV.connectAttempts]: '2',
      ...env,
    },
  });
  const harness = new ProviderHarness({ onEvent: handlers.onEvent as never, isComplete: handlers.isComplete as never });
  await harness.start();
  const summary = summariseFiles(dir);
  const responses: CfnResponse[] = [];
  return {
    harness,
    url,
    lines,
    password: target.password,
    responses,
    send: async (event) => {
      const res = await harness.send(event);
      responses.push(res);
      return res;
    },
    props: (extra = {}) => ({
      [PROP.filesHash]: summary.hash,
      [PROP.latestVersion]: String(summary.latestVersion),
      [PROP.migrationCount]: String(summary.migrationCount),
      ...extra,
    }),
  };
}

const baselineProps = (version: string, reason = 'adopted: built by hand') => ({ [PROP.baselineVersion]: version, [PROP.baselineReason]: reason });

async function state(url: string): Promise<{ version: string; kind: string; reason: string | null; applied_by: string }[]> {
  const [{ t }] = await rows<{ t: string | null }>(url, "SELECT to_regclass('schemaguard.applied_migrations')::text AS t");
  if (t === null) return [];
  return rows(url, 'SELECT version, kind, reason, applied_by FROM schemaguard.applied_migrations ORDER BY version');
}

async function schemas(url: string): Promise<string[]> {
  return (
    await rows<{ n: string }>(url, "SELECT nspname AS n FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1")
  ).map((r) => r.n);
}

function logged(r: Rig, message: RegExp): Record<string, unknown>[] {
  return r.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => message.test(String(l.message)));
}

/** Runs `fn` with the framework up; then no log line and no response held the secret's password. */
async function withRig(r: Rig, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } finally {
    await r.harness.stop();
  }
  expect(r.lines.length).toBeGreaterThan(0);
  expect(r.lines.filter((l) => l.includes(r.password))).toEqual([]);
  expect(r.responses.filter((res) => JSON.stringify(res).includes(r.password))).toEqual([]);
}

function created(response: CfnResponse): CfnResponse {
  expect(response.Status, response.Reason).toBe('SUCCESS');
  return response;
}

describe.each(targets)('Handler: baseline in the deploy on $name', (target) => {
  it('a first deploy with baseline { version } records the files up to it without running them and applies the rest in the same deploy', async () => {
    // Prepare: files 1 to 3 were run by hand; running any of them again fails
    const r = await rig(target, 'adopt_version', FILES, ['1_leads.sql', '2_plans.sql', '3_lead_plan.sql']);
    await withRig(r, async () => {
      // Act
      const res = created(await r.send({ RequestType: 'Create', ResourceProperties: r.props(baselineProps('3')) }));
      // Assess: 1-3 recorded as baselined by this request, with the reason; 4 and 5 ran
      const rs = await state(r.url);
      expect(rs.map((s) => [s.version, s.kind, s.reason])).toEqual([
        ['1', 'baseline', 'adopted: built by hand'],
        ['2', 'baseline', 'adopted: built by hand'],
        ['3', 'baseline', 'adopted: built by hand'],
        ['4', 'migrate', null],
        ['5', 'migrate', null],
      ]);
      expect(new Set(rs.map((s) => s.applied_by))).toEqual(new Set([`cloudformation:SchemaguardTest/SchemaMigrationsResource/${res.RequestId}`]));
      expect(await rows(r.url, 'SELECT code FROM plans')).toEqual([{ code: 'basic' }]);
      expect(res.Data).toMatchObject({
        [ATTR.outcome]: OUTCOME.applied,
        [ATTR.appliedVersions]: '4,5',
        [ATTR.appliedThisRun]: '2',
        [ATTR.currentVersion]: '5',
        [ATTR.baseline]: 'recorded: 3 files up to version 3 as applied without running them',
      });
      expect(logged(r, /^baseline recorded/)).toEqual([
        expect.objectContaining({ version: 3, recorded: ['1_leads.sql', '2_plans.sql', '3_lead_plan.sql'], pending: [4, 5] }),
      ]);
    });
  });

  it('a second deploy ignores the baseline, and says so in the log and the response', async () => {
    const r = await rig(target, 'adopt_again', FILES, ['1_leads.sql', '2_plans.sql', '3_lead_plan.sql']);
    await withRig(r, async () => {
      const first = created(await r.send({ RequestType: 'Create', ResourceProperties: r.props(baselineProps('3')) }));
      const before = await state(r.url);
      // Act: the prop left in the code, another property changed (a new reason here)
      const second = created(
        await r.send({
          RequestType: 'Update',
          PhysicalResourceId: first.PhysicalResourceId,
          ResourceProperties: r.props(baselineProps('3', 'still here')),
          OldResourceProperties: r.props(baselineProps('3')),
        }),
      );
      // Assess
      expect(await state(r.url)).toEqual(before);
      expect(second.Data).toMatchObject({
        [ATTR.outcome]: OUTCOME.upToDate,
        [ATTR.baseline]:
          'ignored: schemaguard had already recorded 5 migrations here (up to version 5): a baseline applies only to a database where nothing is recorded (remove the prop)',
      });
      // Said by each invocation of the request (onEvent, then isComplete), never recorded.
      expect(logged(r, /^baseline ignored/).length).toBeGreaterThanOrEqual(1);
      expect(logged(r, /^baseline recorded/)).toHaveLength(1);
    });
  });

  it("baseline { from: 'flyway' } takes the version from Flyway's history table and applies the files above it", async () => {
    const flyway = [
      FLYWAY_HISTORY,
      `INSERT INTO flyway_schema_history VALUES
      (1, '1', 'leads', 'SQL', 'V1__leads.sql', 1, 'app', now(), 5, true),
      (2, '2', 'plans', 'SQL', 'V2__plans.sql', 2, 'app', now(), 5, true)`,
    ];
    const r = await rig(target, 'adopt_flyway', FILES, ['1_leads.sql', '2_plans.sql'], flyway);
    await withRig(r, async () => {
      const res = created(
        await r.send({ RequestType: 'Create', ResourceProperties: r.props({ [PROP.baselineFrom]: 'flyway', [PROP.baselineReason]: 'moved from Flyway' }) }),
      );
      expect((await state(r.url)).map((s) => [s.version, s.kind, s.reason])).toEqual([
        ['1', 'baseline', 'moved from Flyway (from flyway: public.flyway_schema_history, up to version 2)'],
        ['2', 'baseline', 'moved from Flyway (from flyway: public.flyway_schema_history, up to version 2)'],
        ['3', 'migrate', null],
        ['4', 'migrate', null],
        ['5', 'migrate', null],
      ]);
      expect(res.Data).toMatchObject({ [ATTR.appliedVersions]: '3,4,5', [ATTR.baseline]: 'recorded: 2 files up to version 2 as applied without running them' });
    });
  });

  it('a first deploy onto a database with tables and no baseline is refused before anything runs, naming the prop and the version it appears to be at', async () => {
    const r = await rig(target, 'adopt_refused', FILES, ['1_leads.sql', '2_plans.sql', '3_lead_plan.sql']);
    await withRig(r, async () => {
      const before = await schemas(r.url);
      // Act
      const res = await r.send({ RequestType: 'Create', ResourceProperties: r.props() });
      // Assess: FAILED with the prop and the estimate (3 alters only: 2 or 3); nothing written, not even the state schema
      expect(res.Status).toBe('FAILED');
      expect(res.Reason).toContain('the database already has 2 tables or views (public.leads, public.plans) and schemaguard has recorded nothing here');
      expect(res.Reason).toContain(
        'It appears to be at version 2: every table, view, index and sequence the files up to 2_plans.sql create exists here, and 4_notes.sql creates public.notes, which does not',
      );
      expect(res.Reason).toContain('estimated from names only');
      expect(res.Reason).toContain('if they ran here, the version is up to 3');
      expect(res.Reason).toContain("fix: set the SchemaMigrations prop baseline: { version: 2, reason: '…' }");
      expect(res.Reason).toContain("baseline: { version: 'none', reason: '…' } runs every file");
      expect(await schemas(r.url)).toEqual(before);
      expect(await state(r.url)).toEqual([]);
    });
  });

  it('through the Data API too: the refusal leaves the database as it was (no state schema, no lease table)', async () => {
    const url = await freshDatabase(target, 'adopt_refused_dapi');
    await withClient(url, (c) => c.query(FILES['1_leads.sql']));
    const standin = new DataApiStandin(url);
    try {
      const before = await schemas(url);
      const h = asDeployed({
        dataApi: standin,
        write: () => undefined,
        env: {
          [ENV.secretArn]: TEST_SECRET_ARN,
          [ENV.clusterArn]: TEST_CLUSTER_ARN,
          [ENV.databaseName]: new URL(url).pathname.slice(1),
          [ENV.migrationsDir]: tempDir(FILES),
          [ENV.contractsDir]: '/nonexistent',
        },
      });
      const event = {
        RequestType: 'Create' as const,
        StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/A/x',
        RequestId: 'r1',
        LogicalResourceId: 'M',
        ResourceType: 'Custom::SchemaMigrations',
        ResourceProperties: {},
      };
      await expect(h.onEvent(event, { getRemainingTimeInMillis: () => 120_000 })).rejects.toThrow(/baseline: \{ version: 1, reason: '…' \}/);
      expect(await schemas(url)).toEqual(before);
      expect(standin.openTransactions).toBe(0);
    } finally {
      await standin.close();
    }
  });

  it("a first deploy onto another tool's history without a baseline is refused, naming from and the version its history gives", async () => {
    const flyway = [FLYWAY_HISTORY, "INSERT INTO flyway_schema_history VALUES (1, '1', 'leads', 'SQL', 'V1__leads.sql', 1, 'app', now(), 5, true)"];
    const r = await rig(target, 'adopt_refused_fw', FILES, ['1_leads.sql'], flyway);
    await withRig(r, async () => {
      const res = await r.send({ RequestType: 'Create', ResourceProperties: r.props() });
      expect(res.Status).toBe('FAILED');
      expect(res.Reason).toContain(
        "ForeignHistoryError: public.flyway_schema_history (flyway's history) records migrations up to version 1 and schemaguard has recorded nothing here",
      );
      expect(res.Reason).toContain("fix: set the SchemaMigrations prop baseline: { from: 'flyway', reason: '…' }");
      expect(await state(r.url)).toEqual([]);
    });
  });

  it('a second SchemaMigrations (its own stateSchema) on a database the first one migrated: its first deploy runs, not refused', async () => {
    // Prepare: the first service's files applied by schemaguard under the default state schema
    const r = await rig(target, 'adopt_two_services', { '1_tags.sql': FILES['5_tags.sql'] }, [], [], { [ENV.stateSchema]: 'tags_schemaguard' });
    const other = tempDir({ '1_leads.sql': FILES['1_leads.sql'] });
    expect((await runCli(['migrate', '--dir', other, '--database-url', r.url, '--quiet'], { env: { DATABASE_URL: undefined } })).code).toBe(0);
    await withRig(r, async () => {
      // Act: this service's handler keeps its state in a schema of its own
      const res = created(await r.send({ RequestType: 'Create', ResourceProperties: r.props() }));
      // Assess
      expect(res.Data).toMatchObject({ [ATTR.appliedVersions]: '1', [ATTR.baseline]: 'not set' });
      expect(await rows(r.url, 'SELECT version, kind FROM tags_schemaguard.applied_migrations')).toEqual([{ version: '1', kind: 'migrate' }]);
    });
  });

  it("baseline { version: 'none' } runs every file beside tables that are not the files'", async () => {
    const r = await rig(target, 'adopt_none', { '1_tags.sql': FILES['5_tags.sql'] }, [], ['CREATE TABLE legacy_orders (id int)']);
    await withRig(r, async () => {
      const res = created(await r.send({ RequestType: 'Create', ResourceProperties: r.props(baselineProps('none', 'the files make tags beside the orders')) }));
      expect((await state(r.url)).map((s) => [s.version, s.kind])).toEqual([['1', 'migrate']]);
      expect(res.Data).toMatchObject({ [ATTR.appliedVersions]: '1', [ATTR.baseline]: "none: every file ran (baseline version 'none')" });
    });
  });

  it('a baseline the files refuse fails the deploy with the CLI rule, recording nothing', async () => {
    // Flyway applied version 7, which no file has: baseline --from refuses it, and so does the deploy.
    const flyway = [FLYWAY_HISTORY, "INSERT INTO flyway_schema_history VALUES (1, '7', 'x', 'SQL', 'V7__x.sql', 1, 'app', now(), 5, true)"];
    const r = await rig(target, 'adopt_disagree', FILES, [], flyway);
    await withRig(r, async () => {
      const res = await r.send({ RequestType: 'Create', ResourceProperties: r.props({ [PROP.baselineFrom]: 'flyway', [PROP.baselineReason]: 'moved' }) });
      expect(res.Status).toBe('FAILED');
      expect(res.Reason).toContain(
        'StateRefusalError: SchemaMigrations "baseline": baseline --from flyway: public.flyway_schema_history and the files disagree',
      );
      expect(await state(r.url)).toEqual([]);
    });
  });
});
