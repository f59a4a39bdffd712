/**
 * `schemaguard lsp --stdio` through a real LSP client over stdio
 * (test/support/lsp-client.ts), the executable run as an editor runs it:
 * its diagnostics are `lint --json`'s findings (rule, severity, line,
 * column, message), a hover shows the statement's plan row with the
 * database's sizes, a code action's edit applied leaves files that lint
 * passes, and neither a malformed request nor an unparsable file ends it.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../support/cli';
import { catalogFingerprint } from '../../../support/catalog-fingerprint';
import { dropDatabases, freshDatabase, targets, withClient } from '../../../support/db';
import { tempDir } from '../../../support/files';
import { applyWorkspaceEdit, startLsp, type LspClient } from '../../../support/lsp-client';

afterAll(dropDatabases);

const target = targets[0]!;

const INIT = 'CREATE TABLE leads (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text);\nCREATE TABLE purchases (id bigint PRIMARY KEY, lead_id uuid);\n';
const RISKY = [
  '-- the purchases of a lead, found fast',
  'CREATE INDEX purchases_lead ON purchases (lead_id);',
  'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk FOREIGN KEY (lead_id) REFERENCES leads (id);',
  '',
].join('\n');

/** A finding as both sides say it: lint --json's, and a diagnostic's (LSP lines and characters count from 0). */
const fromLint = (f: { rule: string; severity: string; line: number; column: number; message: string }) => ({
  rule: f.rule,
  severity: f.severity === 'error' ? 1 : 2,
  line: f.line,
  column: f.column,
  message: f.message,
});
const fromLsp = (d: Diagnostic) => ({
  rule: d.code,
  severity: d.severity,
  line: d.range.start.line + 1,
  column: d.range.start.character + 1,
  message: d.message,
});

async function lintJson(cwd: string, env: NodeJS.ProcessEnv, args: string[] = []) {
  const r = await runCli(['lint', '--json', ...args], { cwd, env });
  return JSON.parse(r.stdout) as { findings: Parameters<typeof fromLint>[0][]; errors: number };
}

describe(`CLI: schemaguard lsp with a database (${target.name})`, () => {
  let url: string;
  let password: string;
  let root: string;
  let risky: string;
  let lsp: LspClient;
  let database: string;

  beforeAll(async () => {
    url = await freshDatabase(target, 'lsp');
    database = new URL(url).pathname.slice(1);
    password = decodeURIComponent(new URL(url).password);
    expect(password.length).toBeGreaterThan(3);
    root = tempDir({ 'migrations/0001_init.sql': INIT }, 'lsp');
    expect((await runCli(['migrate', '--quiet'], { cwd: root, env: { DATABASE_URL: url } })).code).toBe(0);
    await withClient(url, async (c) => {
      await c.query('INSERT INTO purchases SELECT g, NULL FROM generate_series(1, 2000) AS g');
      await c.query('ANALYZE purchases');
    });
    risky = join(root, 'migrations', '0002_risky.sql');
    writeFileSync(risky, RISKY);
    lsp = await startLsp({ cwd: root, env: { DATABASE_URL: url } });
  });

  afterAll(async () => {
    await lsp?.close();
  });

  it('publishes the findings lint --json gives for the open file: same rules, severities, places and messages', async () => {
    const before = await catalogFingerprint(url);
    const diagnostics = await lsp.open(risky);
    const lint = await lintJson(root, { DATABASE_URL: url });
    expect(lint.findings.map((f) => f.rule)).toEqual(['index-not-concurrent', 'constraint-not-valid']);
    expect(diagnostics.map(fromLsp)).toEqual(lint.findings.map(fromLint));
    // Each runs from where lint points to its statement's end.
    expect(diagnostics[0]!.range.end).toEqual({ line: 1, character: RISKY.split('\n')[1]!.length });
    expect(await catalogFingerprint(url)).toBe(before);
  });

  it("shows the statement's plan row on hover: the lock, the table and its size from the database", async () => {
    const hover = await lsp.hover(risky, 1, 3);
    const text = (hover?.contents as { value: string } | undefined)?.value;
    expect(text).toMatch(/\| SHARE \| public\.purchases \| 2,000 \| [\d.]+ kB \| no \| yes \|/);
    expect(text).toContain('index-not-concurrent');
    expect(text).toContain('CREATE INDEX CONCURRENTLY IF NOT EXISTS purchases_lead ON purchases (lead_id);');
  });

  it('reads nothing from the database on a keystroke: with connections refused, a change still lints and hovers from what was read; a save says it cannot connect, without the password', async () => {
    await withClient(target.adminUrl, (c) => c.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`));
    try {
      const edited = `${RISKY}-- more to come\n`;
      const diagnostics = await lsp.change(risky, edited);
      expect(diagnostics.map((d) => d.code)).toEqual(['index-not-concurrent', 'constraint-not-valid']);
      expect(((await lsp.hover(risky, 1, 3))?.contents as { value: string } | undefined)?.value).toContain('| 2,000 |');
      expect(lsp.logs.filter((l) => l.type === 1)).toEqual([]);
      const refused = await lsp.save(risky, edited);
      expect(refused).toHaveLength(1);
      expect(refused[0]!.message).toMatch(/not currently accepting connections/);
      expect(`${lsp.stderr()}${JSON.stringify(lsp.logs)}${JSON.stringify(refused)}`).not.toContain(password);
    } finally {
      await withClient(target.adminUrl, (c) => c.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`));
    }
    expect((await lsp.save(risky, RISKY)).map((d) => d.code)).toEqual(['index-not-concurrent', 'constraint-not-valid']);
  });
});

describe('CLI: schemaguard lsp on a git project, without a database', () => {
  let root: string;
  let risky: string;
  let lsp: LspClient;
  const NO_DB = { DATABASE_URL: undefined };
  const since = ['--since', 'HEAD'];

  beforeAll(async () => {
    root = tempDir(
      {
        'db/0001_init.sql': INIT,
        'schemaguard.config.json': JSON.stringify({
          migrations: 'db',
          lintRules: { 'constraint-not-valid': { level: 'warning', reason: 'leads is small' } },
        }),
      },
      'lsp-git',
    );
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: root, stdio: 'ignore' });
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'init');
    risky = join(root, 'db', '0002_risky.sql');
    writeFileSync(risky, RISKY);
    lsp = await startLsp({ cwd: root, env: NO_DB, args: since });
  });

  afterAll(async () => {
    await lsp?.close();
  });

  it("takes the project file's folder and rule levels and git's applied files as lint does", async () => {
    const diagnostics = await lsp.open(risky);
    const lint = await lintJson(root, NO_DB, since);
    expect(diagnostics.map(fromLsp)).toEqual(lint.findings.map(fromLint));
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([
      ['index-not-concurrent', 1],
      ['constraint-not-valid', 2],
    ]);
  });

  it("gives an unparsable file one diagnostic with PostgreSQL's message at its place, and lints it again once it parses", async () => {
    const text = 'CREATE TABLE notes (id int;\n';
    const broken = await lsp.change(risky, text);
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatchObject({ message: 'syntax error at or near ";"', range: { start: { line: 0, character: text.indexOf(';') } }, severity: 1 });
    expect((await lsp.change(risky, RISKY)).map((d) => d.code)).toEqual(['index-not-concurrent', 'constraint-not-valid']);
  });

  it('survives malformed requests: a body that is no JSON, a request without its parameters, an unknown method', async () => {
    const garbage = '{"jsonrpc":"2.0","id":99,"method":';
    lsp.child.stdin!.write(`Content-Length: ${Buffer.byteLength(garbage)}\r\n\r\n${garbage}`);
    await expect(lsp.connection.sendRequest('textDocument/hover', {})).resolves.toBeNull();
    await expect(lsp.connection.sendRequest('schemaguard/nothing', { a: 1 })).rejects.toThrow(/Unhandled method/);
    const hover = await lsp.hover(risky, 1, 3);
    expect((hover?.contents as { value: string } | undefined)?.value).toContain('| SHARE | purchases |');
    expect(lsp.child.exitCode).toBeNull();
  });

  it("applies a fix's edit: the statements split into the files the fixes name, and lint passes them", async () => {
    const [index, constraint] = await lsp.change(risky, RISKY);
    const [split] = await lsp.codeActions(risky, [index!]);
    expect(split!.title).toBe('schemaguard: apply the fix of index-not-concurrent (writes 0003_risky_no_transaction.sql, 0004_risky_rest.sql)');
    applyWorkspaceEdit(split!.edit!);
    expect(readFileSync(join(root, 'db', '0003_risky_no_transaction.sql'), 'utf8')).toMatch(/^-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY/);
    await lsp.save(risky, readFileSync(risky, 'utf8'));
    const rest = join(root, 'db', '0004_risky_rest.sql');
    const [still] = await lsp.open(rest);
    expect(still!.code).toBe(constraint!.code);
    const [validate] = await lsp.codeActions(rest, [still!]);
    applyWorkspaceEdit(validate!.edit!);
    expect(readdirSync(join(root, 'db'))).toContain('0005_risky_rest_later.sql');
    expect(await lsp.save(rest, readFileSync(rest, 'utf8'))).toEqual([]);
    const lint = await lintJson(root, NO_DB, since);
    expect(lint).toMatchObject({ errors: 0, findings: [] });
  });
});
