import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { summariseFiles } from '../../../lambda/handler/files-hash';
import { tempDir } from '../../support/files';

describe('Function: summariseFiles', () => {
  it('counts the migrations and finds the newest version (numeric, not lexical)', () => {
    const dir = tempDir({ '2_b.sql': 'b', '10_j.sql': 'j', 'README.md': 'x' });
    expect(summariseFiles(dir)).toMatchObject({ migrationCount: 2, latestVersion: 10 });
  });

  it('is the same for CRLF and LF files, and ignores dot files', () => {
    const lf = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\nSELECT 1;\n' });
    const crlf = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\r\nSELECT 1;\r\n', '.DS_Store': 'junk' });
    expect(summariseFiles(crlf).hash).toBe(summariseFiles(lf).hash);
  });

  // Regression: a CRLF checkout's largest file was counted with its CRs, so synth refused a file at the limit the handler takes.
  it('counts the largest migration with LF line endings, as the engine counts a file against its limit', () => {
    const lf = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\nSELECT 1;\n' });
    const crlf = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);\r\nSELECT 1;\r\n' });
    expect(summariseFiles(crlf).largestMigration).toEqual({ file: '1_a.sql', bytes: 35 });
    expect(summariseFiles(lf).largestMigration).toEqual({ file: '1_a.sql', bytes: 35 });
  });

  it('changes when a file changes, is added or renamed, and when a contract changes', () => {
    const dir = tempDir({ '1_a.sql': 'a' });
    const contracts = tempDir({ 'c.sql': 'SELECT 1;' }, 'contracts');
    const h0 = summariseFiles(dir, contracts).hash;
    writeFileSync(join(contracts, 'c.sql'), 'SELECT 2;');
    const h1 = summariseFiles(dir, contracts).hash;
    expect(h1).not.toBe(h0);
    writeFileSync(join(dir, '2_b.sql'), 'b');
    expect(summariseFiles(dir, contracts).hash).not.toBe(h1);
    const renamed = tempDir({ '01_a.sql': 'a' });
    expect(summariseFiles(renamed).hash).not.toBe(summariseFiles(tempDir({ '1_a.sql': 'a' })).hash);
  });

  // Regression (tester): a README.md in the migrations folder, or Pact JSON files in contracts/, changed FilesHash and redeployed the handler.
  it("covers only the files the handler reads: the folders' own .sql files, not a README, JSON contracts of another tool or a subfolder", () => {
    const files = { '1_a.sql': 'a', '2_b.sql': 'b' };
    const contracts = { 'orders.sql': 'SELECT 1;' };
    const plain = summariseFiles(tempDir(files), tempDir(contracts, 'contracts'));
    const noisy = summariseFiles(
      tempDir({ ...files, 'README.md': '# notes', 'archive/0_old.sql': 'SELECT 0;', 'notes.txt': 'x' }),
      tempDir({ ...contracts, 'consumer-provider.json': '{"interactions":[]}', 'pacts/x.json': '{}' }, 'contracts'),
    );
    expect(noisy).toEqual(plain);
    expect(plain.migrationCount).toBe(2);
  });

  it('treats a missing contracts directory as empty, and an empty migrations directory as version 0', () => {
    const dir = tempDir({});
    expect(summariseFiles(dir, join(dir, 'nope'))).toEqual({ hash: summariseFiles(dir).hash, migrationCount: 0, latestVersion: 0 });
  });
});
