/**
 * The catalog facts a hover's plan row shows (table sizes, foreign keys, the
 * tables of a domain, key columns), read from the database when a file is
 * opened or saved and answered from memory on every keystroke in between:
 * no round trip while the user types.
 *
 * `planLocks` reads them through a Queryable. Each of its catalog queries
 * asks for a list of keys (`$1`, one per table, index or domain) and returns
 * rows whose first column is the key they answer. So the rows are kept by
 * query and key: a keystroke that adds a statement on a table read before is
 * answered, and a key never read (a table first named since the last save)
 * is answered with no rows and listed in `unread`, so the hover says its
 * size waits for a save. A query not of that shape is kept whole, by its
 * parameters.
 */
import type { Queryable, QueryResult } from '../../../lambda/engine/ports';
import { get } from '../../../lambda/engine/errors/present';

type Row = Record<string, unknown>;

/** A Queryable that answers from the cache; what it could not answer, by key. */
export interface Replay extends Queryable {
  readonly unread: Set<string>;
}

export class CatalogCache {
  /** By query text: each key's rows (an empty list: read, and the catalog has none). */
  private readonly keyed = new Map<string, Map<string, Row[]>>();
  /** By query text and parameters: the rows of a query whose parameters are not a list of keys. */
  private readonly whole = new Map<string, Row[]>();

  /** Whether anything was read into it (a database was reached at least once). */
  get filled(): boolean {
    return this.keyed.size > 0 || this.whole.size > 0;
  }

  /** Reads through `q`, keeping what each query returned for each key. */
  recording(q: Queryable): Queryable {
    return {
      query: async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
        const result = await q.query<R>(sql, params);
        this.keep(sql, params, result.rows as Row[]);
        return result;
      },
    };
  }

  /** Answers from what was kept, never from a database. */
  replaying(): Replay {
    const unread = new Set<string>();
    return {
      unread,
      query: async <R>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
        const rows = this.answer(sql, params, unread) as R[];
        return { rows, rowCount: rows.length };
      },
    };
  }

  private keep(sql: string, params: readonly unknown[] | undefined, rows: Row[]): void {
    const keys = keysOf(params);
    if (!keys || !rows.every((r) => keys.includes(firstValue(r) as string))) {
      this.whole.set(wholeKey(sql, params), rows);
      return;
    }
    const byKey = this.keyed.get(sql) ?? new Map<string, Row[]>();
    for (const key of keys) byKey.set(key, []);
    for (const row of rows) get(byKey, firstValue(row) as string).push(row);
    this.keyed.set(sql, byKey);
  }

  private answer(sql: string, params: readonly unknown[] | undefined, unread: Set<string>): Row[] {
    const whole = this.whole.get(wholeKey(sql, params));
    if (whole) return whole;
    const keys = keysOf(params);
    const byKey = this.keyed.get(sql);
    if (!keys) {
      unread.add(wholeKey(sql, params));
      return [];
    }
    return keys.flatMap((key) => {
      const rows = byKey?.get(key);
      if (!rows) unread.add(key);
      return rows ?? [];
    });
  }
}

/** The first parameter when it is a list of strings: the keys a catalog query asks about. */
function keysOf(params: readonly unknown[] | undefined): string[] | undefined {
  const first = params?.[0];
  return Array.isArray(first) && first.every((k) => typeof k === 'string') ? first : undefined;
}

function firstValue(row: Row): unknown {
  for (const key in row) return row[key];
  return undefined;
}

function wholeKey(sql: string, params: readonly unknown[] | undefined): string {
  return `${sql}\0${JSON.stringify(params ?? [])}`;
}
