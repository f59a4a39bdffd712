/**
 * unnamed-concurrent-index: CREATE INDEX CONCURRENTLY without a name in a
 * no-transaction file. A build that fails or is interrupted (a lock timeout,
 * a deploy's Lambda ending, a lost connection) leaves an INVALID index under
 * PostgreSQL's generated name; the next run cannot know that index is its own,
 * so it builds another (`…_idx1`) and the INVALID one stays, written on every
 * INSERT and UPDATE and never used. A named build is found and dropped first.
 */
import { rangeVar, type ParsedStatement } from '../../parser/parse';
import { renderFix } from '../fix';
import type { LintRule } from '../rule';
import { partitionedTable } from './index-not-concurrent';
import { ident, insertInto, tokenAfter } from '../sql-text';
import { defaultIndexName } from '../index-name';

export const UNNAMED_CONCURRENT_INDEX: LintRule = {
  id: 'unnamed-concurrent-index',
  severity: 'warning',
  title: 'CREATE INDEX CONCURRENTLY without a name',
  why: 'a failed or interrupted build leaves an INVALID index under a generated name that no later run can tell is its own: the rerun builds another, and the INVALID one stays, slowing every write',
  fix: 'name the index, with IF NOT EXISTS: a rerun then drops the INVALID leftover of its name before building',
  squawk: [],
  examples: {
    existing: 'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
    triggers: '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY ON leads (name);',
    passes: '-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name_idx ON leads (name);',
  },
  statement(ctx, s) {
    if (!ctx.src.noTransaction || s.kind !== 'IndexStmt' || !s.node.concurrent || typeof s.node.idxname === 'string') return;
    // On a partitioned table PostgreSQL refuses the statement: index-not-concurrent reports it, its fix names each index.
    const rel = rangeVar(s.node.relation);
    if (rel && partitionedTable(ctx, rel)) return;
    ctx.report(UNNAMED_CONCURRENT_INDEX, s, {
      message: 'CREATE INDEX CONCURRENTLY without a name: a rerun after a failed build cannot find its INVALID index, and builds another beside it',
      fix: renderFix([{ place: 'instead', noTransaction: true, lines: [`${unnamedIndexNamed(s)};`] }]),
    });
  },
};

/** The statement with `IF NOT EXISTS <name>` after CONCURRENTLY (concurrently-in-transaction's fix names one too). */
export function unnamedIndexNamed(s: ParsedStatement): string {
  const concurrently = tokenAfter(s, s.byteOffset, 'concurrently');
  return concurrently ? insertInto(s, concurrently.end, `IF NOT EXISTS ${indexName(s)}`) : s.text;
}

/** PostgreSQL's own name for the index (`defaultIndexName`), quoted where it needs it. */
function indexName(s: ParsedStatement): string {
  return ident(defaultIndexName(rangeVar(s.node.relation)?.name ?? 'table', s.node.indexParams, s.node.indexIncludingParams));
}
