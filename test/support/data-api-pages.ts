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

/**
 * `work` with a rig on `url`, closed after. `responseLimitBytes`: the
 * service's limit (1 MiB by default) and the one the driver's sessions page
 * by, both smaller: pages are cut from the limit, so a schema that much
 * smaller takes the same pages (a test of the paging need not build the
 * catalog that fills a real 1 MiB; bench/data-api-pages.ts reads one).
 */
export async function withPagedRig<T>(url: string, work: (rig: PagedRig) => Promise<T>, responseLimitBytes?: number): Promise<T> {
  const standin = new DataApiStandin(url, responseLimitBytes === undefined ? {} : { maxResponseBytes: responseLimitBytes });
  const driver = makeDataApiDriver(url, standin);
  if (responseLimitBytes !== undefined) pageBy(driver, responseLimitBytes);
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

/** Each session of `driver` pages by `bytes` instead of the service's 1 MiB. */
function pageBy(driver: DataApiDriver, bytes: number): void {
  const connect = driver.connect.bind(driver);
  driver.connect = async () => Object.defineProperty(await connect(), 'responseLimitBytes', { value: bytes });
}

/** 'read whole' when `read` succeeds, else its SQLSTATE (54000: past the response limit). */
export function outcome(read: Promise<unknown>): Promise<string | undefined> {
  return read.then(
    () => 'read whole',
    (e: unknown) => (e as { code?: string }).code,
  );
}
