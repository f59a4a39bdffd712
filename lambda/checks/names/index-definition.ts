/**
 * Where the parts of an index definition, as pg_get_indexdef() writes it
 * (`CREATE UNIQUE INDEX name ON schema.table USING btree (a, b) WHERE …`),
 * begin. Read through the lexer: an index or table named
 * `"x USING btree (id); DROP TABLE victim; --"` holds the words a text
 * search looks for, inside its quotes.
 */
import { lexSql } from '../../engine/sql/lexer';

/** Offset of the `USING` that names the access method, or -1 when there is none. */
export function usingOffset(definition: string): number {
  for (const t of lexSql(definition)) {
    if (t.kind === 'word' && t.text.toUpperCase() === 'USING') return t.offset;
  }
  return -1;
}
