/**
 * How the Data API driver learns that a DO block which commits its own
 * batches succeeded after its call returned at the 45-second limit (the
 * service returns nothing of such a statement, and PostgreSQL keeps no trace
 * of a failed one outside its session). The driver creates an empty marker
 * table just before the call and sends the block rewritten so that its last
 * step drops it: the DROP commits with the block's last batch, so the table
 * is gone exactly when the statement succeeded. A DROP that fails is
 * swallowed (the outcome is then unconfirmed; a success is never turned into
 * an error), and a block that raises or RETURNs early leaves the table.
 */
import { classifySql } from '../../engine/sql/classify';
import { dollarTag, isComment, tokenize } from '../../engine/sql/lexer';

export interface MarkedStatement {
  /** The statement to send. */
  sql: string;
  /** Offset in `sql` past which a position runs `shift` characters ahead of the original's. */
  at: number;
  shift: number;
}

/**
 * `sql`, a DO block that commits its batches, rewritten to drop `table` when
 * it reaches its end: its body becomes a nested block of a new body quoted
 * with `$<tag>$`, opened on the body's first line (PL/pgSQL's line numbers,
 * which the engine maps to file lines, stay as written). Undefined for
 * anything else: another statement, a language other than PL/pgSQL, a body
 * in a plain string, or one that holds the new quote.
 */
export function markDoBlock(sql: string, table: string, tag: string): MarkedStatement | undefined {
  if (classifySql(sql).kind !== 'do-commits') return undefined;
  const tokens = tokenize(sql).filter((t) => !isComment(t));
  const language = tokens.findIndex((t) => t.kind === 'word' && t.text.toLowerCase() === 'language');
  if (language >= 0 && tokens[language + 1]?.text.replace(/^['"]|['"]$/g, '').toLowerCase() !== 'plpgsql') return undefined;
  const bodies = tokens.filter((t) => t.kind === 'dollar-string');
  const body = bodies[0];
  const open = `$${tag}$`;
  if (bodies.length !== 1 || !body || body.unterminated || body.text.includes(open)) return undefined;
  const quote = dollarTag(body);
  const inner = body.text.slice(quote.length, body.text.length - quote.length);
  // The body's own last `;` (after its END) would make an empty statement, which PL/pgSQL refuses.
  const last = tokenize(inner).filter((t) => !isComment(t)).at(-1);
  const content = last?.text === ';' ? inner.slice(0, last.offset) + inner.slice(last.end) : inner;
  const wrapped = `${open}BEGIN ${content}\n;\nBEGIN DROP TABLE ${table}; EXCEPTION WHEN OTHERS THEN NULL; END;\nEND${open}`;
  return { sql: sql.slice(0, body.offset) + wrapped + sql.slice(body.end), at: body.offset + open.length, shift: open.length + 'BEGIN '.length - quote.length };
}
