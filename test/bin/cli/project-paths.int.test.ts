/**
 * Paths a project file sets outside its project are refused for writing: a
 * checked-out schemaguard.config.json must not make `new`, `snapshot` or the
 * embedded server write anywhere else on the machine, through `..`, an
 * absolute path or a link. Exit 2, naming the key, the file and the path,
 * nothing written; the same path given as a flag is the user's own choice.
 */
import { existsSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliInProcess } from '../../support/cli';
import { tempDir } from '../../support/files';

/** A project folder with its file, and a folder beside it (outside it). */
function project(settings: Record<string, string>): { root: string; outside: string } {
  const outside = tempDir({}, 'outside');
  const root = tempDir({ 'migrations/1_a.sql': 'CREATE TABLE a (id int);\n' }, 'project');
  const resolved = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, v.replace('<outside>', outside)]));
  writeFileSync(join(root, 'schemaguard.config.json'), JSON.stringify(resolved));
  return { root, outside };
}

const run = (args: string[], cwd: string) => runCliInProcess(args, { cwd, env: { DATABASE_URL: undefined } });

describe('CLI: a project file cannot make schemaguard write outside its project', () => {
  it.each([
    ['"migrations" as ../', { migrations: '../outside-by-dots' }],
    ['"migrations" absolute', { migrations: '<outside>/migrations' }],
  ])('new with %s: exit 2, nothing written', async (_, settings) => {
    const { root, outside } = project(settings);
    const r = await run(['new', 'add_notes'], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /"migrations" in schemaguard\.config\.json is .*, outside the project \(the folder of schemaguard\.config\.json\), and new writes there: refused, nothing was written/,
    );
    expect(r.stderr).toContain('--dir');
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(join(root, '..', 'outside-by-dots'))).toBe(false);
  });

  it('new through a link out of the project: refused; the same folder named by --dir: written', async () => {
    const outside = tempDir({}, 'outside');
    const root = tempDir({}, 'project');
    symlinkSync(outside, join(root, 'linked'));
    writeFileSync(join(root, 'schemaguard.config.json'), JSON.stringify({ migrations: 'linked' }));

    const refused = await run(['new', 'add_notes'], root);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('"migrations" in schemaguard.config.json is linked, outside the project');
    expect(readdirSync(outside)).toEqual([]);

    const given = await run(['new', 'add_notes', '--dir', outside], root);
    expect(given.code, given.stderr).toBe(0);
    expect(readdirSync(outside)).toHaveLength(1);
  });

  it('snapshot to a file outside the project, and the embedded server in a folder outside it: refused before anything runs', async () => {
    const { root, outside } = project({ snapshot: '<outside>/schema.snapshot.json', embeddedDir: '<outside>/.schemaguard' });
    const snapshot = await run(['snapshot'], root);
    expect(snapshot.code).toBe(2);
    expect(snapshot.stderr).toContain('"snapshot" in schemaguard.config.json is');
    const status = await run(['status'], root);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('"embeddedDir" in schemaguard.config.json is');
    expect(status.stderr).toContain('and the embedded server writes there');
    expect(readdirSync(outside)).toEqual([]);
  });
});
