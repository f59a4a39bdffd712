/** lintMigrations as a whole: pending vs applied files, errors, order, the rule list, and this repository's migrations. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { lintMigrations, lintSourceFromText, lintSourceOf, RULES } from '../../../../lambda/checks/lint';
import { formatFinding } from '../../../../lambda/checks/findings/finding';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { ROOT } from '../../../support/cli';
import { lint } from './pending';

describe('Function: lintMigrations', () => {
  it('lints nothing of an applied migration, but learns its tables', async () => {
    const r = await lintMigrations([lintSourceFromText('1_a.sql', 'CREATE TABLE t (id uuid PRIMARY KEY);\nCREATE INDEX i ON t (id);', true)]);
    expect(r.findings).toEqual([]);
    expect(r.files).toEqual([]);
  });

  it('reports a syntax error as an input error naming file, line and column', async () => {
    await expect(lint('CREATE TABLE t (id int);\nALTER TABEL t ADD COLUMN x int;')).rejects.toThrow(/2_pending\.sql:2:\d+: syntax error at or near "TABEL"/);
  });

  // Regression: "Maximum call stack size exceeded", no file and no line (exit 1), on statements PostgreSQL takes.
  it('lints statements nested deeper than the call stack: an INSERT of 4,000 strings joined with ||, a 6,500-branch UNION ALL, a deep DEFAULT on an existing table', async () => {
    const joined = Array.from({ length: 4000 }, () => "'a'").join(' || ');
    const union = Array.from({ length: 6500 }, (_, k) => `SELECT 'c${k}', 'Country ${k}'`).join('\nUNION ALL ');
    const r = await lintMigrations([
      lintSourceFromText('1_base.sql', 'CREATE TABLE t (v text);\nCREATE TABLE countries (code text, name text);', true),
      lintSourceFromText(
        '2_deep.sql',
        `INSERT INTO t VALUES (${joined});\nINSERT INTO countries (code, name)\n${union};\nALTER TABLE t ADD COLUMN w text DEFAULT clock_timestamp()::text || ${joined};`,
      ),
    ]);
    expect(r.findings.map((f) => `${f.line} ${f.rule}`)).toEqual(['6503 volatile-default']);
  });

  it('formats a finding as location, severity, rule, message, why and fix', async () => {
    const text = formatFinding((await lint('CREATE INDEX leads_name ON leads (name);')).findings[0]!);
    expect(text).toMatch(
      /^2_pending\.sql:1:28: error index-not-concurrent: CREATE INDEX leads_name on existing table leads without CONCURRENTLY\n {2}why: .+\n {2}fix: .+/,
    );
  });

  it('has a rule table with unique ids', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });
});

describe('migrations/ of this repository', () => {
  it('pass the lint without errors', async () => {
    const migrations = loadMigrations(join(ROOT, 'migrations'));
    const r = await lintMigrations(migrations.map((m) => lintSourceOf(m)));
    for (const f of [...r.findings]) console.log(`[lint migrations/] ${formatFinding(f)}`);
    expect(r.files.length).toBe(migrations.length);
    expect(r.findings.filter((f) => f.severity === 'error').map(formatFinding)).toEqual([]);
  });
});
