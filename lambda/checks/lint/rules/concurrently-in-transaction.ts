/**
 * concurrently-in-transaction: CREATE/DROP INDEX CONCURRENTLY or REINDEX
 * CONCURRENTLY in a transactional migration, which PostgreSQL refuses (25001).
 * The migration loader refuses such a file too; lint reads files leniently
 * so it can list it with the other findings.
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import {
  foreignMarkerAdvice,
  foreignNoTransactionFileName,
  foreignNoTransactionMarker,
  type ForeignNoTransactionMarker,
} from '../../../engine/files/foreign-no-transaction';
import { scanSql } from '../../../engine/sql/splitter';
import { optionOn, rangeVar, type ParsedStatement } from '../../parser/parse';
import { ownNoTransaction, renderFix } from '../fix';
import type { LintRule, RuleContext } from '../rule';
import { unnamedIndexNamed } from './unnamed-concurrent-index';
import { partitionedTable } from './index-not-concurrent';
import { insertInto, tokenAfter } from '../sql-text';

export const CONCURRENTLY_IN_TRANSACTION: LintRule = {
  id: 'concurrently-in-transaction',
  severity: 'error',
  title: 'CONCURRENTLY in a transactional migration',
  why: 'PostgreSQL refuses CONCURRENTLY inside a transaction block (25001): the migration fails at deploy time',
  fix: 'a migration of its own that starts with the no-transaction directive (written re-runnable: IF NOT EXISTS / IF EXISTS)',
  squawk: ['ban-concurrent-index-creation-in-transaction'],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
    triggers: 'CREATE INDEX CONCURRENTLY leads_name ON leads (name);',
    passes: '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads (name);',
  },
  statement(ctx, s) {
    if (ctx.src.noTransaction) return;
    // On a partitioned table PostgreSQL refuses CREATE INDEX CONCURRENTLY anywhere: index-not-concurrent reports it, with a no-transaction fix.
    const rel = s.kind === 'IndexStmt' ? rangeVar(s.node.relation) : undefined;
    if (rel && partitionedTable(ctx, rel)) return;
    // An unnamed index gets a name too: a rerun finds a named leftover (unnamed-concurrent-index).
    if (s.kind === 'IndexStmt' && s.node.concurrent && typeof s.node.idxname !== 'string')
      reportText(ctx, s, 'CREATE INDEX CONCURRENTLY', unnamedIndexNamed(s));
    else if (s.kind === 'IndexStmt' && s.node.concurrent) report(ctx, s, 'CREATE INDEX CONCURRENTLY', s.node.if_not_exists ? undefined : 'IF NOT EXISTS');
    if (s.kind === 'DropStmt' && s.node.concurrent) report(ctx, s, 'DROP INDEX CONCURRENTLY', s.node.missing_ok ? undefined : 'IF EXISTS');
    const reindex = s.kind === 'ReindexStmt' && optionOn(s.node.params, 'concurrently');
    if (reindex) report(ctx, s, 'REINDEX CONCURRENTLY', undefined);
  },
};

/** `guard`: the IF [NOT] EXISTS that makes the statement safe to run again, inserted after CONCURRENTLY. */
function report(ctx: RuleContext, s: ParsedStatement, what: string, guard: string | undefined): void {
  const concurrently = tokenAfter(s, s.byteOffset, 'concurrently');
  reportText(ctx, s, what, guard && concurrently ? insertInto(s, concurrently.end, guard) : s.text);
}

function reportText(ctx: RuleContext, s: ParsedStatement, what: string, text: string): void {
  const marker = foreignMarker(ctx.src.text) ?? foreignNoTransactionFileName(ctx.src.file);
  ctx.report(CONCURRENTLY_IN_TRANSACTION, s, {
    message: `${what} in a transactional migration`,
    fix: renderFix([ownNoTransaction(...(marker ? [sqlComment(`${foreignMarkerAdvice(marker)}`)] : []), `${text};`)]),
  });
}

/** Another tool's no-transaction marker in the file (read only when there is a finding to fix). */
function foreignMarker(text: string): ForeignNoTransactionMarker | undefined {
  for (const c of scanSql(text).comments) {
    const m = foreignNoTransactionMarker(c);
    if (m) return m;
  }
  return undefined;
}
