/**
 * The isolation of one batch of a doctor rule inside the guard's read-only
 * transaction. Through the Data API an error ends the whole transaction, and
 * `reopen` (the Data API's BeginTransaction: a service call, stood in for
 * here) begins it again; when that fails, the batches after it would run
 * outside any transaction, so the pass must end.
 */
import { describe, expect, it } from 'vitest';
import { savepoints } from '../../../../lambda/checks/doctor/rule';

const session = () => {
  const sent: string[] = [];
  return {
    sent,
    q: {
      query: async (sql: string) => {
        sent.push(sql);
        return { rows: [] };
      },
    } as never,
  };
};

describe('Function: savepoints', () => {
  it('rolls a failed batch back to its savepoint and hands its error on', async () => {
    const { sent, q } = session();
    const batch = Object.assign(new Error('lock timeout'), { code: '55P03' });
    await expect(
      savepoints(q)(async () => {
        throw batch;
      }),
    ).rejects.toBe(batch);
    expect(sent).toEqual([
      'SAVEPOINT schemaguard_doctor_batch',
      'ROLLBACK TO SAVEPOINT schemaguard_doctor_batch',
      'RELEASE SAVEPOINT schemaguard_doctor_batch',
    ]);
  });

  it("begins the transaction again after a failed batch where an error ends it, and hands the batch's error on", async () => {
    const { sent, q } = session();
    let reopened = 0;
    const batch = Object.assign(new Error('lock timeout'), { code: '55P03' });
    await expect(
      savepoints(q, async () => {
        reopened++;
      })(async () => {
        throw batch;
      }),
    ).rejects.toBe(batch);
    expect(reopened).toBe(1);
    expect(sent).toEqual(['SAVEPOINT schemaguard_doctor_batch']);
  });

  it("ends the pass with an error that is no batch's (no SQLSTATE) when the transaction cannot begin again", async () => {
    const { q } = session();
    const batch = Object.assign(new Error('lock timeout'), { code: '55P03' });
    const e = await savepoints(q, async () => {
      throw new Error('BeginTransaction failed');
    })(async () => {
      throw batch;
    }).catch((x: unknown) => x as Error & { code?: string });
    expect(e.message).toBe('the read-only transaction could not begin again after a batch failed (lock timeout): BeginTransaction failed');
    expect(e.code).toBeUndefined();
  });
});
