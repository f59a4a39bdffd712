/**
 * Names as a fix prints them: bare where PostgreSQL reads them back
 * unchanged, double-quoted otherwise (upper case, odd characters, or a
 * keyword that cannot stand bare as a name: `"user"`, `"order"`), the
 * way the server's quote_ident() does.
 */
import { quoteLiteral, sqlIdent } from '../../engine/sql/sql-quote';

/**
 * Keywords quote_ident() quotes (pg_get_keywords() with catcode other than
 * 'U', PostgreSQL 18, a superset of 15's): reserved, column-name and
 * type/function-name keywords.
 */
export const QUOTED_KEYWORDS: ReadonlySet<string> = new Set(
  `
  all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean
  both case cast char character check coalesce collate collation column concurrently constraint
  create cross current_catalog current_date current_role current_schema current_time
  current_timestamp current_user dec decimal default deferrable desc distinct do else end except
  exists extract false fetch float for foreign freeze from full grant greatest group grouping having
  ilike in initially inner inout int integer intersect interval into is isnull join json json_array
  json_arrayagg json_exists json_object json_objectagg json_query json_scalar json_serialize
  json_table json_value lateral leading least left like limit localtime localtimestamp merge_action
  national natural nchar none normalize not notnull null nullif numeric offset on only or order out
  outer overlaps overlay placing position precision primary real references returning right row
  select session_user setof similar smallint some substring symmetric system_user table tablesample
  then time timestamp to trailing treat trim true union unique user using values varchar variadic
  verbose when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces
  xmlparse xmlpi xmlroot xmlserialize xmltable
`
    .trim()
    .split(/\s+/),
);

export function ident(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !QUOTED_KEYWORDS.has(name) ? name : sqlIdent(name);
}

/** A relation as a fix names it: bare in public, schema-qualified elsewhere. */
export function qualified(schema: string, name: string): string {
  return schema === 'public' ? ident(name) : `${ident(schema)}.${ident(name)}`;
}

/** A string literal the server reads back whatever standard_conforming_strings says (sql-quote.ts). */
export const literal = quoteLiteral;
