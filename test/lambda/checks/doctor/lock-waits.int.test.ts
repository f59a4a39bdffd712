/**
 * Doctor while a migration holds a table (ACCESS EXCLUSIVE, in a transaction
 * that has not ended): the on-call engineer runs it in the incident, and it
 * must not wait behind that lock. extension-missing reads each default with
 * pg_get_expr, which opens the table: it waited as long as the lock was held
 * (over a connection, for ever; through the Data API, until the call's 45 s
 * ended doctor with an error). Each rule now runs in a transaction with a
 * lock_timeout: that rule is a note naming the holder, the others report.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, type DoctorReport } from '../../../../lambda/checks/doctor';
import type { Driver } from '../../../../lambda/engine/ports';
import { runCli } from '../../../support/cli';
import { fullMatrixMajors, dropDatabases } from '../../../support/db';
import { driverKinds } from '../../../support/drivers';
import { badSchemaDatabase } from './bad-schema';

afterAll(dropDatabases);

async function doctorWith(driver: Driver): Promise<DoctorReport> {
  try {
    return await doctor({ driver });
  } finally {
    await driver.end();
  }
}

describe.each(fullMatrixMajors)('Function: doctor while a migration holds a table, $name', (target) => {
  it.each(driverKinds.map((k) => [k.name, k] as const))(
    "through %s: the rule that would wait is a note naming the holder's pid, user and application (not its statement); the other rules report as without the lock",
    async (_name, kind) => {
      // Prepare
      const url = await badSchemaDatabase(target, 'doctor_lock_waits');
      const free = await doctorWith(kind.make(url));
      const holder = new pg.Client({ connectionString: url, application_name: 'a_migration' });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('ALTER TABLE tokens ADD COLUMN added_by_a_migration int');
        const pid = (await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
        await holder.query('ALTER TABLE tokens ALTER COLUMN added_by_a_migration SET DEFAULT 1');

        // Act
        const started = Date.now();
        const held = await doctorWith(kind.make(url));
        const took = Date.now() - started;
        const cli = kind.name === 'pg' ? await runCli(['doctor', '--database-url', url]) : undefined;

        // Assess
        expect(took).toBeLessThan(15_000);
        expect(free.findings.filter((f) => f.rule === 'extension-missing').map((f) => f.object)).toEqual(['tokens.id']);
        expect(held.findings).toEqual(free.findings.filter((f) => f.rule !== 'extension-missing'));
        expect(held.notes).toEqual([
          `extension-missing: could not read: waiting on a lock held (ACCESS EXCLUSIVE) by pid ${pid} (a_migration, user postgres, idle in transaction, in a transaction for ${held.notes[0]?.match(/for (\d+) s/)?.[1]} s) ` +
            'on public.tokens, past lock_timeout (55P03); try again once that transaction ends (the other rules were checked)',
        ]);
        // Not the holder's SQL: another session's query may carry its data.
        expect(held.notes.join('\n')).not.toContain('SET DEFAULT');
        if (cli) {
          expect(cli.stdout).toContain(
            `\nnote: extension-missing: could not read: waiting on a lock held (ACCESS EXCLUSIVE) by pid ${pid} (a_migration, user postgres, idle in transaction, in a transaction for `,
          );
          expect(cli.stdout).toContain('(55P03); try again once that transaction ends (the other rules were checked)\n');
        }
      } finally {
        await holder.end();
      }
    },
    60_000,
  );
});
