/**
 * replication-role-replica: `session_replication_role = replica` set with
 * ALTER DATABASE / ALTER ROLE … IN DATABASE makes every new session skip
 * foreign-key checks and ordinary triggers. Only this database's settings
 * are made here: a role's setting for every database would show in the
 * other test files' databases on the same server.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runGuard } from '../../../../lambda/checks/guard';
import { REPLICATION_ROLE_REPLICA } from '../../../../lambda/checks/doctor/replication-role-replica';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { fullMatrixMajors, dropDatabases, withClient } from '../../../support/db';
import { applyFix, findingsOn, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

const SCHEMA = `CREATE TABLE accounts (id int PRIMARY KEY);
CREATE TABLE orders (id int PRIMARY KEY, account_id int REFERENCES accounts);`;

/** An order of an account that does not exist, in a new session of `url` (its settings read at connect); the SQLSTATE it fails with, or 'written'. */
async function orphanInsert(url: string, id: number): Promise<string> {
  return withClient(url, (c) =>
    c.query('INSERT INTO orders VALUES ($1, 999)', [id]).then(
      () => 'written',
      (e: { code?: string }) => e.code ?? String(e),
    ),
  );
}

describe.each(fullMatrixMajors)('Rule: replication-role-replica on $name', (target) => {
  // Regression (review): a database or role set to session_replication_role = replica wrote orphans silently, and doctor said nothing.
  it("the database's and a role's replica setting (orphans written without an error) are each an error; their RESET fixes run, and new sessions check the key again", async () => {
    const { url, findings: before } = await findingsOnSchema(target, 'doctor_replica_role', SCHEMA, [REPLICATION_ROLE_REPLICA]);
    expect(before).toEqual([]);
    const db = new URL(url).pathname.slice(1);
    const role = `${db}_app`;
    const roleUrl = Object.assign(new URL(url), { username: role, password: 'app-pw' }).toString();
    await withClient(url, (c) =>
      c.query(`CREATE ROLE ${role} LOGIN PASSWORD 'app-pw'; GRANT ALL ON accounts, orders TO ${role};
      ALTER DATABASE ${db} SET session_replication_role = 'REPLICA'; ALTER ROLE ${role} IN DATABASE ${db} SET session_replication_role = replica`),
    );
    try {
      expect(await orphanInsert(url, 1)).toBe('written');
      expect(await orphanInsert(roleUrl, 2)).toBe('written');
      const findings = await findingsOn(url, [REPLICATION_ROLE_REPLICA]);
      expect(findings.map((f) => [f.severity, f.object, f.fix.replace(/ {2}--.*/, '')])).toEqual([
        ['error', `database ${db}`, `ALTER DATABASE ${db} RESET session_replication_role;`],
        ['error', `role ${role}`, `ALTER ROLE ${role} IN DATABASE ${db} RESET session_replication_role;`],
      ]);
      expect(findings[1]!.message).toBe(
        `session_replication_role = replica is set for role ${role} in database ${db}: its new sessions skip foreign-key checks and ordinary triggers`,
      );
      // The guard makes a doctor error a ticket carrying the rule's id.
      const driver = new PgDriver({ connectionString: url });
      const guard = await runGuard({ driver, migrations: [], contracts: [] }).finally(() => driver.end());
      expect(guard.findings.filter((f) => f.rule === REPLICATION_ROLE_REPLICA.id).map((f) => [f.kind, f.severity, f.object])).toEqual([
        ['doctor', 'ticket', `database ${db}`],
        ['doctor', 'ticket', `role ${role}`],
      ]);
      await applyFix(url, findings[0]!.fix);
      expect(await orphanInsert(roleUrl, 3)).toBe('written');
      await applyFix(url, findings[1]!.fix);
      expect(await orphanInsert(url, 4)).toBe('23503');
      expect(await orphanInsert(roleUrl, 5)).toBe('23503');
      expect(await findingsOn(url, [REPLICATION_ROLE_REPLICA])).toEqual([]);
    } finally {
      await withClient(url, (c) => c.query(`DROP OWNED BY ${role}; DROP ROLE ${role}`));
    }
  });
});
