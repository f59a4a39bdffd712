/** The template `schemaguard new` writes, and the test for a file that is still exactly it. */
import { describe, expect, it } from 'vitest';
import { checksum } from '../../../../lambda/engine/files/checksum';
import { parseMigration } from '../../../../lambda/engine/files/source';
import { isUnwrittenTemplate, migrationTemplate, refuseUnwrittenTemplates, unwrittenTemplateError } from '../../../../lambda/engine/files/template';

const FILE = '0007_add_nickname.sql';
const of = (text: string, file = FILE) => ({ file, checksum: checksum(text) });

describe('Function: isUnwrittenTemplate', () => {
  it('is true for the template new wrote for that file name, with LF or CRLF line endings', () => {
    expect(isUnwrittenTemplate(of(migrationTemplate(FILE)))).toBe(true);
    expect(isUnwrittenTemplate(of(migrationTemplate(FILE).replace(/\n/g, '\r\n')))).toBe(true);
    expect(isUnwrittenTemplate(parseMigration(FILE, migrationTemplate(FILE)))).toBe(true);
  });

  it("is false once a statement is written, for an empty or comment-only file, and for another name's template", () => {
    const written = migrationTemplate(FILE).replace('\n\n\n\n', '\n\nALTER TABLE users ADD COLUMN nickname text;\n\n');
    expect(isUnwrittenTemplate(of(written))).toBe(false);
    expect(isUnwrittenTemplate(of(''))).toBe(false);
    expect(isUnwrittenTemplate(of('-- SQLite only\n'))).toBe(false);
    expect(isUnwrittenTemplate(of(migrationTemplate(FILE), '0008_add_nickname.sql'))).toBe(false);
  });
});

describe('Function: refuseUnwrittenTemplates', () => {
  it('throws an InputError (exit 2) naming the file and both fixes', () => {
    const e = unwrittenTemplateError(FILE, 'migrations/');
    expect(e.name).toBe('InputError');
    expect(e.file).toBe(FILE);
    expect(e.message).toBe(
      `${FILE} is still the template schemaguard new wrote, with no statement of yours: recorded as applied now, it would run nothing, and the SQL written into it later would never run`,
    );
    expect(e.fix).toBe(
      `write its SQL (below the directives), or delete migrations/${FILE} if you no longer need it; if a database recorded it already (as a no-op, before schemaguard refused it), keep it unwritten and add the line -- schemaguard:valid-checksum ${checksum(migrationTemplate(FILE))} below its first line: it is then no longer the template, and that database's record still matches`,
    );
    expect(() => refuseUnwrittenTemplates([of('SELECT 1;', '1_a.sql'), of(migrationTemplate(FILE))], 'migrations')).toThrow(e.message);
    expect(() => refuseUnwrittenTemplates([of('SELECT 1;', '1_a.sql'), of('', '2_b.sql')])).not.toThrow();
  });
});
