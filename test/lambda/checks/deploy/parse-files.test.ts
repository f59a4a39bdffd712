/** parseDeployFiles: what the parse at synth (bin/synth-parse.ts) answers, in process. */
import { describe, expect, it } from 'vitest';
import { parseDeployFiles } from '../../../../lambda/checks/deploy/parse-files';
import { tempDir } from '../../../support/files';

describe('Function: parseDeployFiles', () => {
  it('gives the first error of each migration that does not parse, in order of version, with line, column and fix', async () => {
    const migrationsDir = tempDir({
      '10_c.sql': 'SELECT 1;\r\nSELECT FROM FROM c;\r\n',
      '2_b.sql': 'CREATE TABLE b (id int;\nALSO BROKEN;\n',
      '3_ok.sql': '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_id ON b (id);\n',
      'README.md': 'not SQL at all',
    });
    expect(await parseDeployFiles({ migrationsDir })).toEqual([
      {
        kind: 'migration',
        file: '2_b.sql',
        line: 1,
        column: 23,
        message: '2_b.sql:1:23: syntax error at or near ";"',
        fix: "correct the SQL: PostgreSQL's own parser rejects it",
      },
      {
        kind: 'migration',
        file: '10_c.sql',
        line: 2,
        column: 13,
        message: '10_c.sql:2:13: syntax error at or near "FROM"',
        fix: "correct the SQL: PostgreSQL's own parser rejects it",
      },
    ]);
  });

  it("gives the contracts' first refusal, as the handler loads them", async () => {
    const contractsDir = tempDir({ 'a.sql': 'SELECT 1;\nSELECT 2;\n', 'b.sql': 'SELEC 1;\n', 'notes.json': '{}' }, 'contracts');
    expect(await parseDeployFiles({ contractsDir })).toEqual([
      {
        kind: 'contract',
        file: 'a.sql',
        line: 2,
        column: undefined,
        message: 'a.sql: a contract file holds exactly one statement (found 2)',
        fix: 'split it into one file per statement',
      },
    ]);
  });

  it('gives nothing for files that parse, and for no directories', async () => {
    expect(
      await parseDeployFiles({ migrationsDir: tempDir({ '1_a.sql': 'SELECT 1;\n' }), contractsDir: tempDir({ 'a.sql': 'SELECT $1::int;\n' }, 'contracts') }),
    ).toEqual([]);
    expect(await parseDeployFiles({})).toEqual([]);
  });
});
