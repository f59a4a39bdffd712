import { afterAll, describe, expect, it } from 'vitest';
import { dropDatabases, freshDatabase, rows, targets } from '../../support/db';
import { tempDir } from '../../support/files';
import { runCli } from '../../support/cli';

afterAll(dropDatabases);

describe.each(targets)('$name', (target) => {
  it('applies a migration with the CLI', async () => {
    const url = await freshDatabase(target, 'smoke');
    const dir = tempDir({ '1_a.sql': 'CREATE TABLE a (id int);' });
    const r = await runCli(['migrate', '--dir', dir, '--database-url', url]);
    expect(r.code, r.stderr).toBe(0);
    expect(await rows(url, 'SELECT version FROM schemaguard.applied_migrations')).toEqual([{ version: '1' }]);
  });
});
