/** .sql files in subfolders of the migrations directory: found and counted, never loaded. */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMigrations } from '../../../../lambda/engine/files/source';
import { describeSubfolders, sqlSubfolders } from '../../../../lambda/engine/files/subfolders';
import { tempDir } from '../../../support/files';

describe('Function: sqlSubfolders', () => {
  it('counts the .sql files of each subfolder at any depth, in name order; dot folders, other files and links to folders left out', () => {
    const dir = tempDir({
      '1_a.sql': 'SELECT 1;',
      'v2/2_b.SQL': 'SELECT 1;',
      'archive/old/3_c.sql': 'SELECT 1;',
      'archive/4_d.sql': 'SELECT 1;',
      'archive/notes.md': 'x',
      '.git/hooks/x.sql': 'x',
      'docs/readme.txt': 'x',
    });
    // A link back to the directory: no loop, not counted.
    symlinkSync(dir, join(dir, 'archive', 'loop'));

    expect(sqlSubfolders(dir)).toEqual([
      { folder: 'archive', files: 2 },
      { folder: 'v2', files: 1 },
    ]);
    // Regression (review): they were silently not read; they still are not (no recursion).
    expect(loadMigrations(dir).map((m) => m.file)).toEqual(['1_a.sql']);
  });

  it('finds none in a directory without subfolders, or one that is not there', () => {
    expect(sqlSubfolders(tempDir({ '1_a.sql': 'SELECT 1;' }))).toEqual([]);
    expect(sqlSubfolders(join(tempDir(), 'missing'))).toEqual([]);
  });
});

describe('Function: describeSubfolders', () => {
  it('names three folders with their counts, then how many more', () => {
    const found = ['a', 'b', 'c', 'd', 'e'].map((folder, k) => ({ folder, files: k + 1 }));

    expect(describeSubfolders(found.slice(0, 1))).toBe('a/ (1 .sql file)');
    expect(describeSubfolders(found)).toBe('a/ (1 .sql file), b/ (2 .sql files), c/ (3 .sql files) and 2 more');
  });
});
