/**
 * The parse at synth (lib/synth-parse.ts): SchemaMigrations stops synth on a
 * migration or contract PostgreSQL's parser refuses, with the words
 * `schemaguard lint` and `check` print; takes every file the engine takes
 * (directives, no-transaction files, checks, dollar quotes, a large INSERT's
 * VALUES rows); and, when the parse cannot run, stops saying why. The parse
 * script is the bundle the test setup builds (dist/synth-parse.cjs).
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, SYNTH_PARSE_SCRIPT } from '../../lib/paths';
import { SchemaMigrations, type DirectConnectionProps, type SchemaMigrationsBaseProps } from '../../lib/schema-migrations';
import { refuseUnparsable } from '../../lib/synth-parse';
import { runCli } from '../support/cli';
import { tempDir } from '../support/files';

/** Props over a connection, as these tests build them. */
type DirectProps = SchemaMigrationsBaseProps & DirectConnectionProps;

const base = (): { s: Stack; props: Omit<DirectProps, 'migrationsDir'> } => {
  const s = new Stack(new App(), 'V');
  const vpc = new ec2.Vpc(s, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const secret = new secretsmanager.Secret(s, 'S');
  const sg = new ec2.SecurityGroup(s, 'Sg', { vpc });
  const database = rds.DatabaseInstance.fromDatabaseInstanceAttributes(s, 'Db', {
    instanceIdentifier: 'x',
    instanceEndpointAddress: 'x',
    port: 5432,
    securityGroups: [sg],
  });
  return { s, props: { secret, database, vpc } };
};

/** The error SchemaMigrations throws for these migrations (and contracts), or undefined. */
function synthError(
  migrations: Record<string, string>,
  contracts?: Record<string, string>,
  extra: Partial<DirectProps> = {},
): { error?: Error; migrationsDir: string; contractsDir?: string } {
  const { s, props } = base();
  const migrationsDir = tempDir(migrations);
  const contractsDir = contracts && tempDir(contracts, 'contracts');
  try {
    new SchemaMigrations(s, 'M', { ...props, migrationsDir, contractsDir, ...extra });
    return { migrationsDir, contractsDir };
  } catch (e) {
    return { error: e as Error, migrationsDir, contractsDir };
  }
}

const fixOf = (dir: string) => `fix: correct the statement; \`npx schemaguard lint --dir ${dir}\` shows the same error`;

/** A seed INSERT above the size at which the parse cuts its VALUES rows (lambda/checks/values-rows.ts), one row a line. */
const seed = (rows: number, bad?: { row: number; text: string }) =>
  `INSERT INTO widgets (id, name) VALUES\n${Array.from({ length: rows }, (_, k) => (k + 1 === bad?.row ? bad.text : `  (${k + 1}, 'widget number ${k + 1}')`)).join(',\n')};\n`;

describe('Class: SchemaMigrations', () => {
  describe('at synth, the parse of the migrations', () => {
    // Regression (review): a syntax error synthesised, and the deploy failed on it inside the custom resource, after RDS was made.
    it("stops synth on a migration PostgreSQL's parser refuses, naming the file, line, column, the token and the fix", () => {
      const { error, migrationsDir } = synthError({
        '1_a.sql': 'CREATE TABLE a (id int);\n',
        '2_b.sql': 'CREATE TABLE b (id int);\n\nALTER TABLE b ADD COLUMN x int DEFALT 3;\n',
      });
      expect(error?.message).toBe(
        `SchemaMigrations: PostgreSQL's parser refuses a migration in ${migrationsDir}, so the deploy would fail on it after the database was made: ` +
          `2_b.sql:3:32: syntax error at or near "DEFALT"; ${fixOf(migrationsDir)}`,
      );
    });

    it('names every file it refuses, in order of version', () => {
      const { error, migrationsDir } = synthError({
        '10_c.sql': 'SELECT FROM FROM c;\n',
        '2_b.sql': 'CREATE TABLE b (id int;\n',
        '3_ok.sql': 'SELECT 1;\n',
      });
      expect(error?.message).toBe(
        `SchemaMigrations: PostgreSQL's parser refuses 2 migrations in ${migrationsDir}, so the deploy would fail on them after the database was made: ` +
          `2_b.sql:1:23: syntax error at or near ";"; 10_c.sql:1:13: syntax error at or near "FROM"; fix: correct the statements; \`npx schemaguard lint --dir ${migrationsDir}\` shows the same error`,
      );
    });

    it('says what `schemaguard lint` says of the file, word for word', async () => {
      const { error, migrationsDir } = synthError({ '1_a.sql': 'CREATE TABLE a (\n  id int PRIMARY KEY,\n  name text NOT NUL\n);\n' });
      const lint = await runCli(['lint', '--dir', migrationsDir, '--format', 'json']);
      expect(lint.code).toBe(2);
      const said = JSON.parse(lint.stdout) as { message: string };
      expect(said.message).toBe('1_a.sql:3:17: syntax error at or near "NUL"');
      expect(error?.message).toContain(`: ${said.message}; fix: `);
    });

    it.each([
      [
        'a no-transaction file',
        {
          '1_idx.sql':
            '-- schemaguard:no-transaction\n-- schemaguard:lock-timeout=5s\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_id ON a (id);\nCREATE INDEX CONCURRENTLY b_x ON b (x) WHERE x >;\n',
        },
        '1_idx.sql:4:49: syntax error at end of input',
      ],
      [
        'a check after the body',
        { '1_a.sql': 'ALTER TABLE a ADD COLUMN b int;\n-- schemaguard:check every row has b\nSELECT id FROM a WHERE b IS NUL;\n' },
        '1_a.sql:3:29: syntax error at or near "NUL"',
      ],
      [
        'a function body after a dollar quote',
        {
          '1_f.sql': 'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\nCREATE TRIGER t AFTER INSERT ON a FOR EACH ROW EXECUTE FUNCTION f();\n',
        },
        '1_f.sql:2:8: syntax error at or near "TRIGER"',
      ],
      [
        'a statement after a large INSERT whose VALUES rows are cut',
        { '1_seed.sql': `${seed(3000)}UPDATE widgets SET name = 'x' WHER id = 1;\n` },
        '1_seed.sql:3002:31: syntax error at or near "WHER"',
      ],
      [
        'a row of a large INSERT',
        { '1_seed.sql': seed(3000, { row: 2500, text: "  (2500, 'widget' 'number 2500')" }) },
        '1_seed.sql:2501:19: syntax error at or near "\'number 2500\'"',
      ],
    ])('finds the line and column in %s', (_what, files, said) => {
      const { error } = synthError(files);
      expect(error?.message).toContain(`: ${said}; fix: correct the statement;`);
    });

    it('never repeats a password the parser stopped at', () => {
      const { error } = synthError({ '1_role.sql': 'CREATE ROLE app LOGIN PASSWORD S3cretPass;\n' });
      expect(error?.message).toContain('1_role.sql:1:32: syntax error at or near "****"');
      expect(error?.message).not.toContain('S3cretPass');
    });

    it('synthesises the shipped migrations and contracts', () => {
      const { s, props } = base();
      expect(
        () => new SchemaMigrations(s, 'Shipped', { ...props, migrationsDir: join(PACKAGE_ROOT, 'migrations'), contractsDir: join(PACKAGE_ROOT, 'contracts') }),
      ).not.toThrow();
    });

    it('synthesises files the engine takes: directives, a no-transaction file, checks, dollar quotes, a large seed INSERT, CRLF line ends, an empty file', () => {
      const { error } = synthError({
        '1_a.sql':
          '-- schemaguard:lock-timeout=2s\n-- schemaguard:statement-timeout=5m\nCREATE TABLE a (id int PRIMARY KEY, b int);\n-- schemaguard:check no a without b\nSELECT id FROM a WHERE b IS NULL;\n',
        '2_idx.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_b ON a (b);\n',
        '3_f.sql':
          'CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $body$\nBEGIN\n  NEW.b := 1; -- a ; inside\n  RETURN NEW;\nEND\n$body$;\nDO $$ BEGIN PERFORM 1; END $$;\n',
        '4_seed.sql': `CREATE TABLE widgets (id int, name text);\n${seed(3000)}`,
        '5_crlf.sql': 'ALTER TABLE a\r\n  ADD COLUMN c text;\r\n',
        '6_empty.sql': '-- nothing to do yet\n',
      });
      expect(error).toBeUndefined();
    });

    it('with parseAtSynth: false, synthesises a file the parser refuses (the deploy is then the first to parse it)', () => {
      const { error } = synthError({ '1_a.sql': 'CREATE TABLE a (id int;\n' }, undefined, { parseAtSynth: false });
      expect(error).toBeUndefined();
    });
  });

  describe('at synth, the parse of the contracts', () => {
    it.each([
      [
        { 'orders.sql': 'SELECT id FROM orders WHERE id = $1 AND;\n' },
        'orders.sql:1:40: syntax error at or near ";"',
        "correct the SQL: PostgreSQL's own parser rejects it",
      ],
      [{ 'orders.sql': 'SELECT 1;\nSELECT 2;\n' }, 'orders.sql: a contract file holds exactly one statement (found 2)', 'split it into one file per statement'],
      [
        { 'a.sql': '-- contract: orders\nSELECT 1;\n', 'b.sql': '-- contract: orders\nSELECT 2;\n' },
        'contracts a.sql and b.sql are both named "orders"',
        'give each contract its own -- contract: name',
      ],
    ])('stops synth on contracts %j the handler would refuse after migrating, with its message and fix', (contracts, said, fix) => {
      const { error, contractsDir } = synthError({ '1_a.sql': 'SELECT 1;\n' }, contracts);
      expect(error?.message).toBe(
        `SchemaMigrations: the handler would refuse the contracts in ${contractsDir} after applying the migrations, failing the deploy: ${said}; ` +
          `fix: ${fix}; \`npx schemaguard check --contracts ${contractsDir}\` shows the same error`,
      );
    });

    it('says both, the migrations first, when both are refused', () => {
      const { error, migrationsDir, contractsDir } = synthError({ '1_a.sql': 'SELEC 1;\n' }, { 'orders.sql': 'SELEC 1;\n' });
      expect(error?.message.split('\n')).toEqual([
        expect.stringMatching(
          new RegExp(
            `^SchemaMigrations: PostgreSQL's parser refuses a migration in ${migrationsDir}, .*: 1_a\\.sql:1:1: syntax error at or near "SELEC"; fix: `,
          ),
        ),
        expect.stringMatching(
          new RegExp(
            `^SchemaMigrations: the handler would refuse the contracts in ${contractsDir} .*: orders\\.sql:1:1: syntax error at or near "SELEC"; fix: `,
          ),
        ),
      ]);
    });
  });
});

describe('Function: refuseUnparsable', () => {
  const files = () => ({ migrationsDir: tempDir({ '1_a.sql': 'SELECT 1;\n' }) });
  const cannot = 'SchemaMigrations: the migrations and contracts cannot be parsed at synth: ';
  const skip = 'or set "parseAtSynth: false" to skip the check (the files are then first parsed by the deploy)';

  it('runs the script the build wrote, and takes files it parses', () => {
    expect(() => refuseUnparsable('SchemaMigrations', files())).not.toThrow();
  });

  it('starts one child for files it has parsed before in the process (by their hash), another for other files', () => {
    // A stand-in that counts its runs and finds nothing.
    const dir = tempDir(
      { 'synth-parse.cjs': 'require("node:fs").appendFileSync(__dirname + "/runs", "x");\nprocess.stdout.write(JSON.stringify({ refusals: [] }));\n' },
      'counting-parser',
    );
    const script = join(dir, 'synth-parse.cjs');
    const migrations = files();
    refuseUnparsable('SchemaMigrations', migrations, { script, filesHash: 'one' });
    refuseUnparsable('SchemaMigrations', migrations, { script, filesHash: 'one' });
    expect(readFileSync(join(dir, 'runs'), 'utf8')).toBe('x');
    refuseUnparsable('SchemaMigrations', migrations, { script, filesHash: 'two' });
    refuseUnparsable('SchemaMigrations', migrations, { script });
    expect(readFileSync(join(dir, 'runs'), 'utf8')).toBe('xxx');
  });

  it('stops synth naming the missing script and how to get it', () => {
    expect(() => refuseUnparsable('SchemaMigrations', files(), { script: '/nonexistent/dist/synth-parse.cjs' })).toThrow(
      `${cannot}the parse script /nonexistent/dist/synth-parse.cjs is missing; in the schemaguard repository run \`npm run build\`, in an app reinstall schemaguard (the package ships it), ${skip}`,
    );
  });

  // What an install without libpg-query gives: the script, where no node_modules has the parser.
  it("stops synth with the child's own words when the parser is missing from the install", () => {
    const script = join(tempDir({}, 'no-parser'), 'synth-parse.cjs');
    copyFileSync(SYNTH_PARSE_SCRIPT, script);
    let error: Error | undefined;
    try {
      refuseUnparsable('SchemaMigrations', files(), { script });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(
      new RegExp(`^${cannot}.* ${script.replace(/[.]/g, '\\.')} exited with code 1: Error [^;]*Cannot find (package|module) 'libpg-query'[^;]*; `),
    );
    // The message, not the stack that follows it.
    expect(error?.message).not.toMatch(/\|\s+at /);
    expect(error?.message).toContain(
      `; reinstall schemaguard so that its dependency libpg-query is there (\`npm ls libpg-query\`; in the schemaguard repository: \`npm install\`), ${skip}`,
    );
  });

  it('stops synth when the answer is not the JSON expected', () => {
    const dir = tempDir({ 'synth-parse.cjs': 'process.stdout.write("hello\\n");\n' }, 'odd-parser');
    expect(() => refuseUnparsable('SchemaMigrations', files(), { script: join(dir, 'synth-parse.cjs') })).toThrow(
      `answered "hello", not the JSON expected; reinstall schemaguard`,
    );
  });
});
