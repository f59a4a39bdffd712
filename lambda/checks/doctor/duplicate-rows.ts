/**
 * A UNIQUE index's build fails while rows with the same key are there
 * ("could not create unique index … is duplicated", 23505), and a failed
 * CREATE UNIQUE INDEX CONCURRENTLY leaves one more INVALID index behind. So
 * every fix that builds a unique index again — doctor's invalid-index, the
 * guard's drift fix, a contract's missing arbiter — lists those rows first
 * with the one query made here, from the index's key (its columns or
 * expressions), its WHERE and NULLS NOT DISTINCT.
 */
import { usingOffset } from '../names/index-definition';
import { qualified } from './names';
import { present } from '../../engine/errors/present';

export interface UniqueKey {
  schema: string;
  table: string;
  /** The key's columns or expressions, as pg_get_indexdef prints them. */
  keys: string[];
  /** Its WHERE, or null. */
  predicate: string | null;
  /** NULLS NOT DISTINCT (PostgreSQL 15+). */
  nullsNotDistinct: boolean;
}

/** The query that lists the rows a build of the unique index fails on, as the fix's first line. */
export function duplicateRowsQuery(k: UniqueKey): string {
  const key = k.keys.map((x) => (/^[\w$"]+$/.test(x) ? x : `(${x})`));
  // Rows with a NULL in the key are not duplicates, unless the index says NULLS NOT DISTINCT (PostgreSQL 15+).
  const conditions = [...(k.predicate ? [`(${k.predicate})`] : []), ...(k.nullsNotDistinct ? [] : key.map((x) => `${x} IS NOT NULL`))];
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  return `SELECT ${key.join(', ')}, count(*) FROM ${qualified(k.schema, k.table)}${where} GROUP BY ${key.join(', ')} HAVING count(*) > 1 LIMIT 20;  -- a UNIQUE build fails again while these exist: keep one row of each first`;
}

/**
 * The key of a `CREATE UNIQUE INDEX` definition as pg_get_indexdef writes it
 * (`… USING btree (a, lower(b) DESC) INCLUDE (c) NULLS NOT DISTINCT WHERE (p)`),
 * or undefined for an index that is not unique.
 */
export function uniqueKeyOf(definition: string, schema: string, table: string): UniqueKey | undefined {
  if (!/^CREATE UNIQUE INDEX /.test(definition)) return undefined;
  const using = / USING \w+ \(/y;
  using.lastIndex = usingOffset(definition) - 1;
  if (using.lastIndex < 0 || !using.exec(definition)) return undefined;
  const open = using.lastIndex - 1;
  const close = closing(definition, open);
  const keys = splitTopLevel(definition.slice(open + 1, close)).map(keyExpression);
  const rest = definition.slice(close + 1);
  const where = rest.indexOf(' WHERE ');
  const predicate = where < 0 ? null : unwrapParens(rest.slice(where + ' WHERE '.length).trim());
  return { schema, table, keys, predicate, nullsNotDistinct: / NULLS NOT DISTINCT/.test(where < 0 ? rest : rest.slice(0, where)) };
}

/** The index of the parenthesis that closes the one at `open` (quoted names and strings skipped). */
function closing(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") i = text.indexOf(ch, i + 1);
    else if (ch === '(') depth++;
    else if (ch === ')' && --depth === 0) return i;
    if (i < 0) break;
  }
  return text.length;
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"' || ch === "'") i = text.indexOf(ch, i + 1);
    else if (ch === '(') i = closing(text, i);
    else if (ch === ',') {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
    if (i < 0) break;
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** One key element without its opclass, COLLATE, ASC/DESC or NULLS FIRST/LAST: `(a + b)`, `lower(b)`, `"Col"`. */
function keyExpression(element: string): string {
  if (element.startsWith('(')) return element.slice(0, closing(element, 0) + 1);
  const name = present(/^(?:"(?:[^"]|"")*"|[^\s("]+)(?:\.(?:"(?:[^"]|"")*"|[^\s("]+))*/.exec(element))[0];
  return element[name.length] === '(' ? element.slice(0, closing(element, name.length) + 1) : name;
}

function unwrapParens(text: string): string {
  return text.startsWith('(') && closing(text, 0) === text.length - 1 ? text.slice(1, -1) : text;
}
