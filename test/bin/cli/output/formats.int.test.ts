/**
 * `--format github|sarif` for lint, check, doctor, diff and plan, through the
 * CLI's `main` in process (`runCliInProcess`) run from a checkout (so paths
 * are the repository's): the
 * SARIF validated against the SARIF 2.1.0 schema and by the SARIF SDK's
 * validator with GitHub's ingestion rules; the annotations in the workflow
 * command syntax.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCliInProcess, type CliRun } from '../../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { multitoolErrors, sarifSchemaErrors } from '../../../support/sarif';

afterAll(dropDatabases);

/** A checkout: migrations with lint findings, a contract that fails, and the repository's snapshot. */
function checkout(): string {
  const root = tempDir(
    {
      'db/migrations/0001_leads.sql': 'CREATE TABLE leads (id uuid PRIMARY KEY, email text);',
      'db/migrations/0002_email_index.sql': 'CREATE INDEX leads_email ON existing_leads (email);',
      'db/contracts/upsert.sql': '-- contract: purchase upsert\nINSERT INTO purchases (lead_id) VALUES ($1::uuid) ON CONFLICT (lead_id) DO NOTHING;',
    },
    'checkout',
  );
  mkdirSync(join(root, 'snapshot'));
  cpSync(join(ROOT, 'lambda/schema/snapshot.json'), join(root, 'snapshot/schema.json'));
  return root;
}

type Results = {
  ruleId: string;
  level: string;
  message: { text: string };
  locations: { physicalLocation?: { artifactLocation: { uri: string }; region: { startLine: number; startColumn?: number } }; logicalLocations?: unknown[] }[];
}[];
type Log = {
  runs: {
    tool: { driver: { name: string; version: string; rules: { id: string; help: { text: string }; shortDescription: { text: string } }[] } };
    results: Results;
  }[];
};

const parse = (r: CliRun): Log => JSON.parse(r.stdout) as Log;

describe.each(targets)('CLI: --format on $name', (target) => {
  let root: string;
  let url: string;
  const logs: Log[] = [];
  const run = (args: string[]) => runCliInProcess([...args, '--database-url', url], { cwd: root });
  beforeAll(async () => {
    root = checkout();
    url = await freshDatabase(target, 'formats');
    await withClient(url, (c) =>
      c.query(
        'CREATE TABLE existing_leads (id int, email text); CREATE TABLE purchases (id uuid PRIMARY KEY, lead_id uuid); INSERT INTO existing_leads SELECT g, g::text FROM generate_series(1, 10) g',
      ),
    );
  });

  it('lint --format sarif: tool, rules with help, results at file, line and column', async () => {
    const r = await run(['lint', '--dir', 'db/migrations', '--format', 'sarif']);
    expect(r.code).toBe(1);
    const log = parse(r);
    logs.push(log);
    const { driver } = log.runs[0]!.tool;
    expect(driver).toMatchObject({ name: 'schemaguard', version: '0.1.0' });
    expect(driver.rules.map((x) => x.id)).toContain('index-not-concurrent');
    for (const rule of driver.rules) expect(rule.help.text.length).toBeGreaterThan(20);
    const results = log.runs[0]!.results;
    expect(results.map((x) => [x.ruleId, x.level, x.locations[0]!.physicalLocation!.artifactLocation.uri, x.locations[0]!.physicalLocation!.region])).toEqual([
      ['uuid-pk-without-default', 'warning', 'db/migrations/0001_leads.sql', { startLine: 1, startColumn: 21 }],
      ['index-not-concurrent', 'error', 'db/migrations/0002_email_index.sql', { startLine: 1, startColumn: 29 }],
    ]);
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it('lint --format github: one workflow command per finding, escaped, and the exit code of text', async () => {
    const r = await run(['lint', '--dir', 'db/migrations', '--format', 'github']);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^::warning file=db\/migrations\/0001_leads\.sql,line=1,col=21,title=schemaguard uuid-pk-without-default::leads\.id is a uuid primary key without a DEFAULT%0AWhy: .+%0AFix: .+$/,
    );
    expect(lines[1]).toMatch(/^::error file=db\/migrations\/0002_email_index\.sql,line=1,col=29,title=schemaguard index-not-concurrent::/);
    expect(lines.at(-1)).toBe('lint: 1 error, 1 warning');
  });

  it('plan --format sarif carries the lock warnings with the lint findings', async () => {
    await withClient(url, (c) => c.query('INSERT INTO existing_leads SELECT g, g::text FROM generate_series(11, 2000) g; ANALYZE existing_leads'));
    const r = await run(['plan', '--dir', 'db/migrations', '--format', 'sarif', '--warn-rows', '1000']);
    expect(r.code, r.stderr).toBe(0);
    const log = parse(r);
    logs.push(log);
    expect(log.runs[0]!.results.map((x) => x.ruleId)).toEqual(['blocking-lock-on-large-table', 'uuid-pk-without-default', 'index-not-concurrent']);
    expect(log.runs[0]!.results[0]!.level).toBe('warning');
    expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it('check --format sarif: a failing contract at its file and line', async () => {
    const r = await run(['check', '--contracts', 'db/contracts', '--format', 'sarif']);
    expect(r.code).toBe(1);
    const log = parse(r);
    logs.push(log);
    expect(log.runs[0]!.results).toMatchObject([
      {
        ruleId: 'contract-plan',
        level: 'error',
        locations: [{ physicalLocation: { artifactLocation: { uri: 'db/contracts/upsert.sql' }, region: { startLine: 2 } } }],
      },
    ]);
    expect(sarifSchemaErrors(log)).toEqual([]);
    const gh = await run(['check', '--contracts', 'db/contracts', '--format', 'github']);
    expect(gh.stdout).toMatch(/^::error file=db\/contracts\/upsert\.sql,line=2,col=1,title=schemaguard contract-plan::contract purchase upsert: /m);
  });

  it('doctor and diff --format sarif: database findings by object, drift at the snapshot', async () => {
    const doctor = parse(await run(['doctor', '--format', 'sarif']));
    const diff = parse(await run(['diff', '--snapshot', 'snapshot/schema.json', '--format', 'sarif']));
    logs.push(doctor, diff);
    expect(doctor.runs[0]!.results.find((x) => x.ruleId === 'pk-without-default')).toMatchObject({
      level: 'warning',
      locations: [{ logicalLocations: [{ fullyQualifiedName: 'purchases.id' }] }],
    });
    expect(diff.runs[0]!.results.length).toBeGreaterThan(0);
    expect(diff.runs[0]!.results[0]).toMatchObject({
      ruleId: 'schema-drift',
      locations: [{ physicalLocation: { artifactLocation: { uri: 'snapshot/schema.json' } } }],
    });
    for (const log of [doctor, diff]) expect(sarifSchemaErrors(log)).toEqual([]);
  });

  it("every log passes the SARIF SDK validator with GitHub code scanning's ingestion rules", () => {
    expect(logs).toHaveLength(5);
    expect(multitoolErrors(logs)).toEqual([]);
  });

  it('a failure under --format github is an annotation too', async () => {
    writeFileSync(join(root, 'db/migrations/0003_bad.sql'), 'CREATE TABLE (;');
    const r = await run(['plan', '--dir', 'db/migrations', '--format', 'github']);
    expect(r.code).toBe(2);
    // On the file and line, as the workflow sees the path.
    expect(r.stdout).toMatch(/^::error file=db\/migrations\/0003_bad\.sql,line=1,col=14,title=schemaguard plan failed::0003_bad\.sql:1:14: syntax error/m);
  });

  // Regression: stdout was empty, and the workflow's upload of the file failed on it.
  it('a failure under --format sarif is a valid log: one error result at the file and line, the run not successful', async () => {
    const r = await run(['lint', '--dir', 'db/migrations', '--format', 'sarif']);
    expect(r.code).toBe(2);
    const log = parse(r) as Log & { runs: { invocations: { executionSuccessful: boolean; exitCode: number }[] }[] };
    expect(
      log.runs[0]!.results.map((x) => [
        x.ruleId,
        x.level,
        x.locations[0]!.physicalLocation!.artifactLocation.uri,
        x.locations[0]!.physicalLocation!.region.startLine,
      ]),
    ).toEqual([['schemaguard-error', 'error', 'db/migrations/0003_bad.sql', 1]]);
    expect(log.runs[0]!.results[0]!.message.text).toMatch(/^schemaguard lint could not run: 0003_bad\.sql:1:14: syntax error/);
    expect(log.runs[0]!.invocations).toMatchObject([{ executionSuccessful: false, exitCode: 2 }]);
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(multitoolErrors([log])).toEqual([]);
    expect(r.stderr).toContain('0003_bad.sql:1:14: syntax error');
  });
});

// Regression: plan --format sarif carried neither what migrate would refuse through the URL nor the note of a history set aside.
describe.each(targets)('CLI: plan --format sarif with refusals and a note, on $name', (target) => {
  it('each refusal is an error result with its fix in the message (at its file when it names one), the note a note result, and the log valid', async () => {
    const root = tempDir(
      { 'db/migrations/1_t.sql': 'CREATE TABLE t (p text);\n', 'db/migrations/2_ins.sql': "INSERT INTO t VALUES ('C:\\dir');\n" },
      'checkout',
    );
    const refused = await freshDatabase(target, 'sarif_refused');
    await withClient(refused, (c) =>
      c.query(`ALTER DATABASE ${new URL(refused).pathname.slice(1)} SET standard_conforming_strings = off;
      CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (2, false)`),
    );
    const noted = await freshDatabase(target, 'sarif_noted');
    await withClient(noted, (c) => c.query('CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL)'));
    const sarif = async (url: string) =>
      parse(await runCliInProcess(['plan', '--dir', 'db/migrations', '--format', 'sarif', '--database-url', url], { cwd: root }));

    const [a, b] = [await sarif(refused), await sarif(noted)];

    const refusals = a.runs[0]!.results.filter((x) => x.ruleId === 'migrate-would-refuse');
    expect(refusals.map((x) => x.level)).toEqual(['error', 'error']);
    expect(refusals[0]!.message.text).toMatch(
      /^migrate through this URL will refuse to run: public\.schema_migrations \(golang-migrate's history\) records migrations up to version 2 .*\. Fix: record the files golang-migrate applied without running them/,
    );
    expect(refusals[0]!.locations[0]!.logicalLocations).toBeDefined();
    expect(refusals[1]!.message.text).toMatch(
      /^migrate through this URL will refuse to run: 2_ins\.sql:1: a string with a backslash.*\. Fix: set it on, PostgreSQL's default since 9\.1/,
    );
    expect(refusals[1]!.locations[0]!.physicalLocation).toMatchObject({ artifactLocation: { uri: 'db/migrations/2_ins.sql' }, region: { startLine: 1 } });
    expect(b.runs[0]!.results.filter((x) => x.ruleId !== 'migrate-would-refuse').slice(0, 1)).toMatchObject([
      {
        ruleId: 'plan-note',
        level: 'note',
        message: {
          text: "public.schema_migrations (golang-migrate's history) records no applied migration: this database is migrated as a new one, every file runs, and that table is left as it is.",
        },
      },
    ]);
    expect(b.runs[0]!.results.filter((x) => x.ruleId === 'migrate-would-refuse')).toEqual([]);
    for (const log of [a, b]) expect(sarifSchemaErrors(log)).toEqual([]);
    expect(multitoolErrors([a, b])).toEqual([]);
  });
});

// Regression: plan's SARIF and GitHub output left out what migrate refuses before the checks through the URL (a changed file,
// an applied file deleted, a file older than the newest applied): a gate on them passed where migrate then refused.
describe.each(targets)('CLI: plan --format sarif and github where files and state disagree, on $name', (target) => {
  it("names each of those refusals first, in migrate's order, at its file and line 1, before the URL's; the log valid", async () => {
    const root = tempDir(
      {
        'db/migrations/1_a.sql': 'CREATE TABLE a (id int);\n',
        'db/migrations/3_c.sql': 'CREATE TABLE c (id int);\n',
        'db/migrations/5_e.sql': 'CREATE TABLE e (id int);\n',
      },
      'checkout',
    );
    const url = await freshDatabase(target, 'sarif_state_refusals');
    expect((await runCliInProcess(['migrate', '--quiet', '--dir', 'db/migrations', '--database-url', url], { cwd: root })).code).toBe(0);
    await withClient(url, (c) => c.query(`ALTER DATABASE ${new URL(url).pathname.slice(1)} SET standard_conforming_strings = off`));
    writeFileSync(join(root, 'db/migrations/1_a.sql'), 'CREATE TABLE a (id bigint);\n');
    rmSync(join(root, 'db/migrations/3_c.sql'));
    writeFileSync(join(root, 'db/migrations/2_b.sql'), "CREATE TABLE b (p text DEFAULT 'C:\\dir');\n");
    const plan = (format: string) => runCliInProcess(['plan', '--dir', 'db/migrations', '--format', format, '--database-url', url], { cwd: root });

    const [sarif, github] = [await plan('sarif'), await plan('github')];

    const refusals = parse(sarif).runs[0]!.results.filter((x) => x.ruleId === 'migrate-would-refuse');
    const starts = [
      '1_a.sql was changed after it was applied',
      'applied migration missing from db/migrations/: version 3 (c)',
      '2_b.sql is pending but older than the newest applied version 5',
      '2_b.sql:1: a string with a backslash',
    ];
    expect(refusals.map((x) => starts.findIndex((s) => x.message.text.startsWith(`migrate through this URL will refuse to run: ${s}`)))).toEqual([0, 1, 2, 3]);
    expect(refusals.map((x) => [x.level, x.locations[0]!.physicalLocation?.artifactLocation.uri, x.locations[0]!.physicalLocation?.region.startLine])).toEqual([
      ['error', 'db/migrations/1_a.sql', 1],
      ['error', undefined, undefined],
      ['error', 'db/migrations/2_b.sql', 1],
      ['error', 'db/migrations/2_b.sql', 1],
    ]);
    expect(sarifSchemaErrors(parse(sarif))).toEqual([]);
    expect(multitoolErrors([parse(sarif)])).toEqual([]);
    const annotations = github.stdout.split('\n').filter((l) => l.includes('title=schemaguard plan::migrate through this URL will refuse to run: '));
    expect(annotations.map((l) => /^::error (?:file=([^,]+),line=1,)?title=/.exec(l)?.[1])).toEqual([
      'db/migrations/1_a.sql',
      undefined,
      'db/migrations/2_b.sql',
      'db/migrations/2_b.sql',
    ]);
    expect(github.stdout).toMatch(/^plan: 4 errors, \d+ warnings?$/m);
  });
});
