import { describe, expect, it } from 'vitest';
import { DatabaseAheadError } from '../../../../lambda/engine/errors/errors';
import { missingFilesError, missingFilesNote } from '../../../../lambda/engine/state/missing-files';

const FILES = [
  { version: 1, file: '0001_a.sql' },
  { version: 3, file: '0003_c.sql' },
  { version: 5, file: '0005_e.sql' },
];

describe('Function: missingFilesError', () => {
  it('names each applied version without a file by its place between the files, and says to restore it', () => {
    const e = missingFilesError(
      [
        { version: 2, name: 'b' },
        { version: 4, name: 'd' },
      ],
      FILES,
      'db/migrations',
    );
    expect(e).toBeInstanceOf(DatabaseAheadError);
    expect(e!.message).toBe(
      'applied migrations missing from db/migrations/: version 2 (b), between 0001_a.sql and 0003_c.sql; version 4 (d), between 0003_c.sql and 0005_e.sql; nothing was run',
    );
    expect(e!.unknownVersions).toEqual([2, 4]);
    expect(e!.fix).toContain('git log --diff-filter=DR --name-status -- db/migrations/');
  });

  it('a version below the first file is "before" it; one above every file is counted as ahead', () => {
    const e = missingFilesError(
      [
        { version: 0, name: 'init' },
        { version: 9, name: 'later' },
      ],
      FILES,
      'migrations',
    );
    expect(e!.message).toBe('applied migration missing from migrations/: version 0 (init), before 0001_a.sql; and 1 newer than every file; nothing was run');
    expect(e!.unknownVersions).toEqual([0, 9]);
  });

  it('without the directory (the custom resource knows only its bundle\'s copy): "the migration files", and a placeholder in the fix', () => {
    const e = missingFilesError([{ version: 2, name: 'b' }], FILES);
    expect(e!.message).toBe('applied migration missing from the migration files: version 2 (b), between 0001_a.sql and 0003_c.sql; nothing was run');
    expect(e!.fix).toContain('git log --diff-filter=DR --name-status -- <migrations directory>/');
  });

  it('is undefined when every unknown version is newer than the files (a database ahead: a rollback)', () => {
    expect(
      missingFilesError(
        [
          { version: 6, name: 'f' },
          { version: 7, name: 'g' },
        ],
        FILES,
        'migrations',
      ),
    ).toBeUndefined();
    expect(missingFilesNote([{ version: 6, name: 'f' }], FILES, 'migrations')).toBeUndefined();
  });
});

describe("Function: missingFilesError, a file with the missing version's name", () => {
  it('may be that migration renumbered and edited: the fix says to give it its version back, and does not offer --allow-ahead (which would run it again)', () => {
    const files = [...FILES, { version: 6, file: '0006_b.sql', name: 'b' }];

    const e = missingFilesError([{ version: 2, name: 'b' }], files, 'migrations');
    const plain = missingFilesError([{ version: 2, name: 'b' }], FILES, 'migrations');

    expect(e!.fix).toContain('0006_b.sql has the name version 2 ran under: if it is that migration renumbered, give it version 2 back');
    expect(e!.fix).not.toContain('--allow-ahead');
    expect(missingFilesNote([{ version: 2, name: 'b' }], files, 'migrations')).not.toContain('--allow-ahead');
    expect(plain!.fix).toContain('--allow-ahead accepts it as it is');
  });
});
