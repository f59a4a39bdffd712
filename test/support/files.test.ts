import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from './files';

describe('tempDir', () => {
  it('writes the files, nested ones included, and removeTempDirs removes every directory it made', () => {
    const a = tempDir({ '1_a.sql': 'SELECT 1;', 'sub/2_b.sql': 'SELECT 2;' });
    const b = tempDir({}, 'contracts');
    expect(readFileSync(join(a, 'sub', '2_b.sql'), 'utf8')).toBe('SELECT 2;');
    expect(b).toMatch(/schemaguard-contracts-/);
    removeTempDirs();
    expect([existsSync(a), existsSync(b)]).toEqual([false, false]);
  });
});
