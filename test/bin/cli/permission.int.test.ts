/**
 * A role without the privileges a migration needs (SQLSTATE 42501): the
 * error names the file and line, and its fix is the GRANT that lets that role
 * do it (PostgreSQL 15+ gives PUBLIC no CREATE on schema public).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli';
import { dropDatabases, freshDatabase, targets, withClient } from '../../support/db';
import { tempDir } from '../../support/files';

afterAll(dropDatabases);

describe.each(targets)('CLI: schemaguard migrate as a role without privileges, on $name', (t) => {
  it("cannot create the state schema, then (given that schema by the owner) cannot create in schema public: each error has its SQLSTATE and the GRANT; the migration's has its file and line", async () => {
    // Prepare: a role that may connect, nothing more
    const url = await freshDatabase(t, 'perm');
    const role = `sg_perm_${randomBytes(4).toString('hex')}`;
    const database = new URL(url).pathname.slice(1);
    await withClient(url, (c) => c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'pw-${role}'; GRANT CONNECT ON DATABASE ${database} TO ${role}`));
    const asRole = new URL(url);
    asRole.username = role;
    asRole.password = `pw-${role}`;
    const dir = tempDir({ '0001_a.sql': '-- a table\nSELECT 1;\nCREATE TABLE a (id int);\n' });
    try {
      // Act
      const noState = await runCli(['migrate', '--dir', dir, '--database-url', asRole.toString()]);
      // The first fix it offers: the owner makes the state schema for the role (PostgreSQL checks CREATE on the
      // database before IF NOT EXISTS, so migrate must not ask for it when the schema is there).
      await withClient(url, (c) => c.query(`CREATE SCHEMA schemaguard AUTHORIZATION ${role}`));
      const noCreate = await runCli(['migrate', '--dir', dir, '--database-url', asRole.toString(), '--json']);

      // Assess
      expect(noState.code).toBe(1);
      expect(noState.stderr).toContain(`error: permission denied for database ${database}\n  sqlstate: 42501\n`);
      expect(noState.stderr).toContain(
        `fix: "${role}" may not create schemas in ${database}, and migrate creates its state schema "schemaguard" (--state-schema) there: ` +
          `as the database's owner (or a superuser): CREATE SCHEMA "schemaguard" AUTHORIZATION "${role}"; or GRANT CREATE ON DATABASE "${database}" TO "${role}"`,
      );
      expect(noCreate.code).toBe(1);
      expect(JSON.parse(noCreate.stdout)).toMatchObject({
        error: 'StatementError',
        message: '0001_a.sql:3: permission denied for schema public',
        file: '0001_a.sql',
        line: 3,
        sqlstate: '42501',
        fix: `as the schema's owner (or a superuser): GRANT USAGE, CREATE ON SCHEMA "public" TO "${role}"; or run migrate as the role that owns the schema`,
      });
      // The fix works: granted as it says, the migration applies.
      await withClient(url, (c) => c.query(`GRANT USAGE, CREATE ON SCHEMA "public" TO "${role}"`));
      const granted = await runCli(['migrate', '--dir', dir, '--database-url', asRole.toString()]);
      expect(granted.code, granted.stderr).toBe(0);
    } finally {
      await withClient(url, (c) => c.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`));
    }
  });
});
