/**
 * What the paging tests share: a database read through the Data API driver
 * on its own stand-in (1 MiB per response), the same session without the
 * driver's limit (`unpaged`: its reads go whole, as before paging, and fail
 * past the limit), and how a read ended.
 */
import type { DataApiDriver } from '../../lambda/driver/data-api/data-api-driver';
import type { Queryable, Session } from '../../lambda/engine/ports';
import { DataApiStandin } from './data-api-standin';
import { makeDataApiDriver } from './drivers';

export interface PagedRig {
  standin: DataApiStandin;
  driver: DataApiDriver;
  /** A Data API session: reads that grow with the schema go in pages. */
  session: Session;
  /** The same calls, without the driver's limit. */
  unpaged: Queryable;
  /** How many pages the cursors have FETCHed so far. */
  fetches(): number;
}

/** `work` with a rig on `url`, closed after. */
export async function withPagedRig<T>(url: string, work: (rig: PagedRig) => Promise<T>): Promise<T> {
  const standin = new DataApiStandin(url);
  const driver = makeDataApiDriver(url, standin);
  const session = await driver.connect();
  const unpaged: Queryable = { query: (sql, params) => session.query(sql, params) };
  try {
    return await work({ standin, driver, session, unpaged, fetches: () => standin.calls.filter((c) => c.sql?.startsWith('FETCH FORWARD')).length });
  } finally {
    await session.close();
    await driver.end();
    await standin.close();
  }
}

/** 'read whole' when `read` succeeds, else its SQLSTATE (54000: past the response limit). */
export function outcome(read: Promise<unknown>): Promise<string | undefined> {
  return read.then(
    () => 'read whole',
    (e: unknown) => (e as { code?: string }).code,
  );
}
