/**
 * no-transaction-rerun: in a no-transaction file, a statement that fails
 * when run a second time (CREATE INDEX, CREATE TABLE or ADD COLUMN without
 * IF NOT EXISTS) with statements after it. Each statement commits as it
 * ends and the file is recorded only once all of them did: when a later
 * statement fails (a lock timeout, NULL rows, a lost connection), the fix is
 * a rerun, which starts again from the file's first line and fails there —
 * `relation "…" already exists` (42P07), `column "…" already exists` (42701)
 * — before it reaches the statement that needed fixing.
 */
import { as, list, rangeVar, type Node, type ParsedStatement } from '../../parser/parse';
import { renderFix } from '../fix';
import type { LintRule, RuleContext } from '../rule';
import { ident, insertInto, replaceIn, tableName, tokenAfter } from '../sql-text';
import { DUPLICATE_COLUMN, DUPLICATE_TABLE } from '../../../engine/errors/sqlstate';

export const NO_TRANSACTION_RERUN: LintRule = {
  id: 'no-transaction-rerun',
  severity: 'warning',
  title: 'a statement that cannot run twice, with statements after it, in a no-transaction file',
  why: 'each statement commits as it ends and the file is recorded only at its end: when a later statement fails, the rerun starts again from the first line and fails at this one (42P07 / 42701), before it reaches the statement that needed fixing',
  fix: 'write it with IF NOT EXISTS, so that the rerun passes over it; or give each statement a no-transaction file of its own',
  squawk: [],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text, email text);',
    triggers:
      '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY leads_name_idx ON leads (name);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_email_idx ON leads (email);',
    passes:
      '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name_idx ON leads (name);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_email_idx ON leads (email);',
  },
  statement(ctx, s) {
    if (!ctx.src.noTransaction) return;
    // A statement after it: the one held is reported (it alone, or last, fails nothing behind it).
    waiting.get(ctx)?.();
    waiting.delete(ctx);
    const once = runsOnce(s);
    if (once)
      waiting.set(ctx, () =>
        ctx.report(NO_TRANSACTION_RERUN, s, {
          message: `${once.what} without IF NOT EXISTS, with statements after it in a no-transaction file: if one of them fails, the rerun starts again from the first line and fails here (${once.sqlstate})`,
          fix: renderFix([{ place: 'instead', noTransaction: true, lines: [`${once.fixed};`] }]),
          at: once.at,
        }),
      );
  },
  endFile(ctx) {
    waiting.delete(ctx);
  },
};

/** The finding held for each file's last statement that cannot run twice, until a statement after it is seen. */
const waiting = new WeakMap<RuleContext, () => void>();

interface Once {
  what: string;
  sqlstate: string;
  fixed: string;
  at?: number;
}

/** What of `s` fails when run twice, and `s` written so that it does not; undefined when it runs twice. */
function runsOnce(s: ParsedStatement): Once | undefined {
  if (s.kind === 'IndexStmt') return createIndex(s);
  if (s.kind === 'CreateStmt' && !s.node.if_not_exists) {
    const rel = rangeVar(s.node.relation);
    // CREATE TABLE … PARTITION OF and OF type too: the name is where IF NOT EXISTS goes.
    return rel?.location === undefined
      ? undefined
      : { what: `CREATE TABLE ${tableName(rel)}`, sqlstate: DUPLICATE_TABLE, fixed: replaceIn(s, rel.location, rel.location, 'IF NOT EXISTS ') };
  }
  if (s.kind === 'AlterTableStmt' && s.node.objtype === 'OBJECT_TABLE') return addColumns(s);
  return undefined;
}

/** A named CREATE INDEX [CONCURRENTLY] without IF NOT EXISTS (an unnamed one cannot take it: unnamed-concurrent-index names it). */
function createIndex(s: ParsedStatement): Once | undefined {
  if (s.node.if_not_exists || typeof s.node.idxname !== 'string') return undefined;
  const before = tokenAfter(s, s.byteOffset, s.node.concurrent ? 'concurrently' : 'index');
  return before && { what: `CREATE INDEX ${ident(s.node.idxname)}`, sqlstate: DUPLICATE_TABLE, fixed: insertInto(s, before.end, 'IF NOT EXISTS') };
}

/** ALTER TABLE … ADD COLUMN without IF NOT EXISTS: each such column gets it. */
function addColumns(s: ParsedStatement): Once | undefined {
  const columns = list(s.node.cmds)
    .map((c) => as(c, 'AlterTableCmd'))
    .filter((c): c is Node => c?.subtype === 'AT_AddColumn' && c.missing_ok !== true)
    .map((c) => as(c.def, 'ColumnDef'))
    .filter((d): d is Node => typeof d?.location === 'number');
  if (!columns.length) return undefined;
  // From the last, so that each location still points at its column.
  let fixed = s;
  for (const d of [...columns].sort((a, b) => (b.location as number) - (a.location as number))) {
    fixed = { ...fixed, text: replaceIn(fixed, d.location as number, d.location as number, 'IF NOT EXISTS ') };
  }
  return {
    what: `ADD COLUMN ${columns.map((d) => ident(String(d.colname))).join(', ')}`,
    sqlstate: DUPLICATE_COLUMN,
    fixed: fixed.text,
    at: columns[0].location as number,
  };
}
