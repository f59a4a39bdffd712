/**
 * A contract schemaguard parses as one SELECT, which a session with
 * standard_conforming_strings off reads as three statements, the last two
 * `COMMIT` (ending the check's READ ONLY transaction) and `DROP TABLE
 * victim`: it is not sent (the check fails, naming the setting), through
 * either driver, and `check` exits 1; victim stays. With the setting on, the
 * same text is one SELECT and passes. Sent anyway, through a connection's
 * extended protocol (`queryOne`), the server refuses it (42601).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { checkContracts, parseContract } from '../../../../lambda/checks/contracts';
import { PgDriver } from '../../../../lambda/driver/pg/pg-driver';
import { runCli } from '../../../support/cli';
import { dropDatabases, freshDatabase, rows, targets, withClient } from '../../../support/db';
import { driverKinds } from '../../../support/drivers';
import { tempDir } from '../../../support/files';

afterAll(dropDatabases);

/** One SELECT of two strings with the setting on; with it off, `'x\', '` is one string, and COMMIT and DROP TABLE follow. */
const TEXT = "SELECT 'x\\', '; COMMIT; DROP TABLE victim; --' AS v";

async function victimThere(url: string): Promise<boolean> {
  return (await rows<{ t: string | null }>(url, "SELECT to_regclass('public.victim')::text AS t"))[0]!.t !== null;
}

async function database(target: (typeof targets)[number], scs: 'on' | 'off'): Promise<string> {
  const url = await freshDatabase(target, `contract_scs_${scs}`);
  await withClient(url, (c) =>
    c.query(`CREATE TABLE victim (id int); ALTER DATABASE ${new URL(url).pathname.slice(1)} SET standard_conforming_strings = ${scs}`),
  );
  return url;
}

describe.each(targets)('Contracts and standard_conforming_strings on $name', (target) => {
  it('schemaguard parses the contract as one SELECT', async () => {
    const c = await parseContract('victim.sql', TEXT);
    expect(Object.keys(c.tree)).toEqual(['SelectStmt']);
  });

  it.each(driverKinds.map((k) => [k.name, k] as const))('through %s, off: not sent, the check fails naming the setting; victim stays', async (_name, kind) => {
    const url = await database(target, 'off');
    const driver = kind.make(url);
    try {
      const report = await checkContracts({ driver, contracts: [await parseContract('victim.sql', TEXT)] });
      expect(report.failed).toBe(1);
      expect(report.results[0]!.failures).toEqual([
        expect.objectContaining({ stage: 'prepare', sqlstate: '22P06', reason: expect.stringContaining('standard_conforming_strings is off') }),
      ]);
      expect(report.results[0]!.failures[0]!.fix).toContain('SET standard_conforming_strings = on');
    } finally {
      await driver.end();
    }
    expect(await victimThere(url)).toBe(true);
  });

  it('on: the same text is one SELECT, checked and passed', async () => {
    const url = await database(target, 'on');
    const driver = new PgDriver({ connectionString: url });
    try {
      const report = await checkContracts({ driver, contracts: [await parseContract('victim.sql', TEXT)] });
      expect(report.results[0]!.failures).toEqual([]);
      expect(report.passed).toBe(1);
    } finally {
      await driver.end();
    }
    expect(await victimThere(url)).toBe(true);
  });

  it("off, sent through a connection's extended protocol anyway: the server refuses several statements in one Parse (42601); victim stays", async () => {
    const url = await database(target, 'off');
    const driver = new PgDriver({ connectionString: url });
    const session = await driver.connect();
    try {
      await expect(session.queryOne!(`PREPARE h AS ${TEXT}`)).rejects.toMatchObject({
        code: '42601',
        message: 'cannot insert multiple commands into a prepared statement',
      });
    } finally {
      await session.close();
      await driver.end();
    }
    expect(await victimThere(url)).toBe(true);
  });

  it('check exits 1 and names the setting; victim stays', async () => {
    const url = await database(target, 'off');
    const r = await runCli(['check', '--database-url', url, '--contracts', tempDir({ 'victim.sql': `${TEXT};\n` }, 'contracts')]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('standard_conforming_strings is off');
    expect(r.stdout).not.toMatch(/^ok /m);
    expect(await victimThere(url)).toBe(true);
  });
});
