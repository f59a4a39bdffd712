/**
 * A captured statement as capture writes it, and shows it: PostgreSQL's own
 * tokens without the comments (sqlcommenter's tags, an ORM's `/* user: … *\/`,
 * a developer's note hold whatever they hold), every constant a parameter
 * (`$n`, as pg_stat_statements writes them; one it left is replaced the same
 * way). What cannot be made so — a literal where a parameter cannot stand, a
 * quoted name that is not the catalog's, unless the statement defines it and
 * it reads as a name (an ORM's `AS "User.id"`; not `AS "ann@example.com"`,
 * nor a run of six digits) — is counted, never shown: the statement is
 * skipped with that count.
 */
import type { Queryable } from '../../engine/ports';
import { constantsAsParameters, findAll, scanTokens, type Node, type ParsedStatement } from '../parser/parse';

/**
 * `sql` without its comments: the gap between two tokens that held a comment
 * or whitespace is one line break where it broke a line outside a comment,
 * else one space (the statement keeps its lines, and loses its indentation).
 */
export function withoutComments(sql: string): string {
  const bytes = Buffer.from(sql, 'utf8');
  let out = '';
  let end = -1;
  let newline = false;
  let comment = false;
  for (const t of scanTokens(sql)) {
    const gap = end >= 0 ? bytes.subarray(end, t.start).toString('utf8') : '';
    newline ||= gap.includes('\n');
    if (t.tokenName === 'SQL_COMMENT' || t.tokenName === 'C_COMMENT') {
      if (end >= 0) [end, comment] = [t.end, true];
      continue;
    }
    if (end >= 0 && (gap || comment)) out += newline ? '\n' : ' ';
    out += bytes.subarray(t.start, t.end).toString('utf8');
    [end, newline, comment] = [t.end, false, false];
  }
  return out;
}

/** `sql` without comments, each constant a parameter. */
export function normalised(sql: string): string {
  return constantsAsParameters(withoutComments(sql));
}

/** A parser's message without the statement text it quotes (`syntax error at or near "…"`). */
export function withoutQuotedText(message: string): string {
  return message.replace(/"(?:[^"]|"")*"/g, '"…"');
}

/** A string, bit-string or dollar-quoted constant as the scanner shows it. */
const LITERAL = /^(?:[eEnN]|[bBxX]|[uU]&)?'|^\$[^$]*\$/;

/** How many constants `sql` still writes out (the normalisation left them: no parameter can stand there). */
export function literalCount(sql: string): number {
  return scanTokens(sql).filter((t) => t.tokenName === 'SCONST' || (t.tokenName !== 'SQL_COMMENT' && t.tokenName !== 'C_COMMENT' && LITERAL.test(t.text)))
    .length;
}

/** The names in double quotes (or U&"…") of `sql`, as it spells them. */
function quotedNames(sql: string): string[] {
  return scanTokens(sql)
    .filter((t) => /^(?:[uU]&)?"/.test(t.text))
    .map((t) => (t.text.startsWith('"') ? t.text.slice(1, -1).replace(/""/g, '"') : t.text));
}

/** A name as code writes one: letters, digits, `_`, `$` and `.`, no run of six digits (a card or a phone number). */
const NAME_LIKE = /^[\p{L}_][\p{L}\p{N}_$.]*$/u;

/** Names the statement itself gives (table and column aliases, output names, WITH names) that read as names. */
function definedNames(stmt: ParsedStatement): Set<string> {
  const names = new Set<string>();
  const add = (n: unknown) => {
    if (typeof n === 'string' && NAME_LIKE.test(n) && !/\d{6}/.test(n)) names.add(n);
  };
  for (const a of findAll(stmt.stmt, 'Alias')) {
    add(a.aliasname);
    for (const c of (a.colnames as Node[] | undefined) ?? []) add((c.String as Node | undefined)?.sval);
  }
  for (const r of findAll(stmt.stmt, 'ResTarget')) add(r.name);
  for (const c of findAll(stmt.stmt, 'CommonTableExpr')) add(c.ctename);
  return names;
}

/** How many quoted names of `text` (the statement `stmt`) the catalog does not have and the statement does not define. */
export async function unknownQuotedNames(q: Queryable, stmt: ParsedStatement, text: string): Promise<number> {
  const defined = definedNames(stmt);
  const asked = [...new Set(quotedNames(text))].filter((n) => !defined.has(n));
  if (!asked.length) return 0;
  // One JSON text, not an array parameter: the RDS Data API takes none.
  const r = await q.query<{ n: string }>(
    `SELECT u.n FROM json_array_elements_text($1::json) AS u(n)
      WHERE NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = u.n) AND NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attname = u.n AND attnum > 0)
        AND NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = u.n) AND NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = u.n)
        AND NOT EXISTS (SELECT 1 FROM pg_proc WHERE proname = u.n) AND NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = u.n)
        AND NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = u.n)`,
    [JSON.stringify(asked)],
  );
  return r.rows.length;
}
