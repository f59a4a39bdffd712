/**
 * The incidents the fixes exist for are gone, whether the database started
 * empty or from the hand-written script: the application's statements in
 * contracts/ run as the application runs them.
 */
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullMatrixMajors, dropDatabases, freshDatabase, withClient } from '../support/db';
import { contract, loadFixture, runFixes } from '../support/schema-fixes';

afterAll(dropDatabases);

const STARTS = [
  { start: 'an empty database', fixture: undefined },
  { start: 'the hand-written script', fixture: 'hand_script' },
];

const STUDENT = 'f0000000-0000-4000-8000-0000000000a1';
const COURSE = 'f1000000-0000-4000-8000-0000000000a1';
const USER = 'c0000000-0000-4000-8000-0000000000a1';

/** The SQLSTATE a statement fails with, or undefined when it succeeds. */
async function sqlstateOf(c: pg.Client, sql: string, params: unknown[] = []): Promise<string | undefined> {
  return c.query(sql, params).then(
    () => undefined,
    (e: { code?: string }) => e.code ?? 'no sqlstate',
  );
}

describe.each(fullMatrixMajors)('$name', (target) => {
  describe.each(STARTS)('from $start', ({ fixture }) => {
    let url: string;

    beforeAll(async () => {
      url = await freshDatabase(target, fixture ?? 'empty');
      if (fixture) await loadFixture(url, fixture);
      await runFixes(url);
    });

    it('inserts a lead purchase without an id', async () => {
      await withClient(url, async (c) => {
        const lead = (await c.query<{ id: string }>(`INSERT INTO all_leads (name) VALUES ('Cy') RETURNING id`)).rows[0]!.id;
        const r = await c.query<{ id: string }>(contract('lead_purchase_insert'), [lead, USER, 42.5]);
        expect(r.rows[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
      });
    });

    it.each(['web', 'whatsapp', 'voice', 'social'])('inserts a %s session without a lead_id', async (channel) => {
      await withClient(url, async (c) => {
        const r = await c.query<{ id: string }>(contract(`${channel}_session_insert`), ['ref-1']);
        const row = await c.query(`SELECT lead_id FROM ${channel}_sessions WHERE id = $1`, [r.rows[0]!.id]);
        expect(row.rows).toEqual([{ lead_id: null }]);
      });
    });

    it('upserts a purchase with ON CONFLICT … WHERE is_active = true, and a second active purchase is impossible', async () => {
      await withClient(url, async (c) => {
        const first = (await c.query<{ id: string }>(contract('purchase_upsert'), [STUDENT, COURSE])).rows[0]!.id;
        const second = (await c.query<{ id: string }>(contract('purchase_upsert'), [STUDENT, COURSE])).rows[0]!.id;
        expect(second).toBe(first);
        expect(await sqlstateOf(c, `INSERT INTO student_course_purchases (student_id, course_id) VALUES ($1, $2)`, [STUDENT, COURSE])).toBe('23505');
        // Without the predicate PostgreSQL cannot infer the partial index: the statement must repeat it.
        expect(
          await sqlstateOf(c, `INSERT INTO student_course_purchases (student_id, course_id) VALUES ($1, $2) ON CONFLICT (student_id, course_id) DO NOTHING`, [
            STUDENT,
            COURSE,
          ]),
        ).toBe('42P10');
        // After cancelling, the student can buy the course again.
        await c.query(`UPDATE student_course_purchases SET is_active = false WHERE id = $1`, [first]);
        const again = (await c.query<{ id: string }>(contract('purchase_upsert'), [STUDENT, COURSE])).rows[0]!.id;
        expect(again).not.toBe(first);
      });
    });

    it('sets appointments.account_id (and every other account_id) to NULL when the account is deleted', async () => {
      await withClient(url, async (c) => {
        const account = (await c.query<{ id: string }>(`INSERT INTO accounts (name) VALUES ('Gone Ltd') RETURNING id`)).rows[0]!.id;
        const appointment = (
          await c.query<{ id: string }>(
            `INSERT INTO appointments (account_id, customer_phone, datetime, status) VALUES ($1, '+1', now(), 'confirmed') RETURNING id`,
            [account],
          )
        ).rows[0]!.id;
        const user = (await c.query<{ id: string }>(`INSERT INTO users (account_id, email) VALUES ($1, 'x@example.com') RETURNING id`, [account])).rows[0]!.id;
        await c.query('DELETE FROM accounts WHERE id = $1', [account]);
        expect((await c.query('SELECT account_id FROM appointments WHERE id = $1', [appointment])).rows).toEqual([{ account_id: null }]);
        expect((await c.query('SELECT account_id FROM users WHERE id = $1', [user])).rows).toEqual([{ account_id: null }]);
        expect(await sqlstateOf(c, `INSERT INTO appointments (account_id, datetime) VALUES ($1, now())`, [account])).toBe('23503');
        expect(await sqlstateOf(c, `INSERT INTO appointments (datetime, duration) VALUES (now(), 0)`)).toBe('23514');
      });
    });

    it('creates a lead and its conversation together, and a bad lead type leaves no conversation behind', async () => {
      await withClient(url, async (c) => {
        const count = async () => Number((await c.query<{ n: string }>('SELECT count(*) AS n FROM conversations WHERE user_id = $1', [USER])).rows[0]!.n);
        const r = await c.query<{ result: { lead_id: string; conversation_id: string } }>(contract('create_lead_with_conversation'), [
          USER,
          '+44 20 7946 0000',
          'Dee',
          'booking',
          'wants a table for two',
        ]);
        const { lead_id, conversation_id } = r.rows[0]!.result;
        expect((await c.query('SELECT conversation_id::text, lead_type, status FROM leads WHERE id = $1', [lead_id])).rows).toEqual([
          { conversation_id, lead_type: 'booking', status: 'new' },
        ]);
        expect(await count()).toBe(1);

        expect(await sqlstateOf(c, contract('create_lead_with_conversation'), [USER, '+44 20 7946 0001', 'Eve', 'not-a-type', null])).toBe('23514');
        expect(await count()).toBe(1);
      });
    });
  });
});
