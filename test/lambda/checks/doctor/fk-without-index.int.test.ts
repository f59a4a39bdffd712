import { afterAll, describe, expect, it } from 'vitest';
import { FK_WITHOUT_INDEX } from '../../../../lambda/checks/doctor/fk-without-index';
import { fullMatrixMajors, dropDatabases, withClient } from '../../../support/db';
import { applyFix, findingsOn, findingsOnSchema } from './bad-schema';

afterAll(dropDatabases);

const SCHEMA = `
  CREATE TABLE accounts (id bigint PRIMARY KEY);
  CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
  CREATE TABLE payments (account_id bigint REFERENCES accounts (id), at date);
  CREATE INDEX payments_account_at ON payments (account_id, at);
  CREATE TABLE refunds (at date, account_id bigint REFERENCES accounts (id));
  CREATE INDEX refunds_at_account ON refunds (at, account_id);
  CREATE TABLE notes (account_id bigint REFERENCES accounts (id));
  CREATE INDEX notes_some ON notes (account_id) WHERE account_id > 100;
  CREATE TABLE parents (a int, b int, PRIMARY KEY (a, b));
  CREATE TABLE children (a int, b int, FOREIGN KEY (a, b) REFERENCES parents);
  CREATE INDEX children_b_a ON children (b, a);
  CREATE TABLE orphans (a int, b int, CONSTRAINT orphans_parent FOREIGN KEY (a, b) REFERENCES parents);
  CREATE INDEX orphans_a ON orphans (a);
  CREATE SCHEMA "Billing";
  CREATE TABLE "Billing"."Invoices" ("Account" bigint REFERENCES accounts (id));
`;

describe.each(fullMatrixMajors)('Rule: fk-without-index on $name', (target) => {
  it('finds a key no index begins with: none, one that starts with another column, a partial one, one on part of the key', async () => {
    const { findings } = await findingsOnSchema(target, 'doctor_fk_index', SCHEMA, [FK_WITHOUT_INDEX]);
    expect(findings.map((f) => f.object)).toEqual([
      '"Billing"."Invoices".Invoices_Account_fkey',
      'notes.notes_account_id_fkey',
      'orders.orders_account_id_fkey',
      'orphans.orphans_parent',
      'refunds.refunds_account_id_fkey',
    ]);
    expect(findings.every((f) => f.severity === 'warning')).toBe(true);
    expect(findings.find((f) => f.object === 'orders.orders_account_id_fkey')!.message).toBe(
      'foreign key orders_account_id_fkey on orders (account_id) → accounts: no index of orders begins with its column, so each DELETE from accounts scans orders',
    );
  });

  it('prints indexes that, built, leave no finding', async () => {
    const { url, findings } = await findingsOnSchema(target, 'doctor_fk_index_fix', SCHEMA, [FK_WITHOUT_INDEX]);
    expect(findings.find((f) => f.object === 'orphans.orphans_parent')!.fix).toBe(
      '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orphans_a_b_idx ON orphans (a, b);',
    );
    for (const f of findings) await applyFix(url, f.fix);
    expect(await findingsOn(url, [FK_WITHOUT_INDEX])).toEqual([]);
  });

  it("reports a partitioned table's key once, and its fix attaches an index of each partition", async () => {
    const { url, findings } = await findingsOnSchema(
      target,
      'doctor_fk_index_parts',
      `
      CREATE TABLE accounts (id bigint PRIMARY KEY);
      CREATE TABLE ledger (at date, account_id bigint REFERENCES accounts (id)) PARTITION BY RANGE (at);
      CREATE TABLE ledger_2025 PARTITION OF ledger FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
      CREATE TABLE ledger_2026 PARTITION OF ledger FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    `,
      [FK_WITHOUT_INDEX],
    );
    expect(findings.map((f) => f.object)).toEqual(['ledger.ledger_account_id_fkey']);
    expect(findings[0]!.fix).toContain('ON ONLY ledger (account_id)');
    await applyFix(url, findings[0]!.fix);
    expect(await findingsOn(url, [FK_WITHOUT_INDEX])).toEqual([]);
  });

  it('is right about the cost: a DELETE of an account scans orders before the fix, and uses the index after it', async () => {
    const { url, findings } = await findingsOnSchema(
      target,
      'doctor_fk_index_scan',
      `
      CREATE TABLE accounts (id bigint PRIMARY KEY);
      CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts (id));
      INSERT INTO accounts SELECT g FROM generate_series(1, 2000) AS g;
      INSERT INTO orders SELECT g, 1 + g % 2000 FROM generate_series(1, 50000) AS g;
      DELETE FROM orders WHERE account_id = 7;
      ANALYZE accounts, orders;
    `,
      [FK_WITHOUT_INDEX],
    );
    /** The scans of orders one DELETE from accounts makes (its foreign key's check), counted in its own transaction. */
    const scansOfOrders = () =>
      withClient(url, async (c) => {
        await c.query('BEGIN');
        await c.query('DELETE FROM accounts WHERE id = 7');
        const r = (
          await c.query<{ seq: string; idx: string }>(
            "SELECT seq_scan AS seq, coalesce(idx_scan, 0) AS idx FROM pg_stat_xact_user_tables WHERE relname = 'orders'",
          )
        ).rows[0]!;
        await c.query('ROLLBACK');
        return { seq: Number(r.seq), idx: Number(r.idx) };
      });
    expect(await scansOfOrders()).toEqual({ seq: 1, idx: 0 });
    await applyFix(url, findings[0]!.fix);
    await withClient(url, (c) => c.query('ANALYZE orders'));
    expect(await scansOfOrders()).toEqual({ seq: 0, idx: 1 });
  });
});
