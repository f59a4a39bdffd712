/** Human output of the CLI: progress lines, tables, readable errors. */
import { formatDuration } from '../../lambda/engine/files/duration';
import { CheckFailedError, LockTimeoutError, LockWaitTimeoutError, type MigrationError, type Blocker } from '../../lambda/engine/errors/errors';
import { appliedAsOther, renamedSince, type Plan, type PlanEntry } from '../../lambda/engine/state/plan';
import { shortChecksum } from '../../lambda/engine/files/checksum';
import type { Migration } from '../../lambda/engine/files/source';
import { plural } from '../../lambda/engine/errors/words';
import { present } from '../../lambda/engine/errors/present';

export function table(headers: string[], rows: string[][]): string {
  return [...tableLines(headers, () => rows)].join('\n');
}

/**
 * The lines of a table whose rows are made twice, once to measure and once to
 * print, so a table of any length is never held whole (plan's statement table
 * of a 16 MiB file has 191,004 rows). The widths are a loop, not a spread: a
 * spread of that many arguments overflows the call stack.
 */
export function* tableLines(headers: string[], rows: () => Iterable<string[]>): Generator<string> {
  const widths = headers.map((h) => h.length);
  for (const r of rows())
    r.forEach((c, i) => {
      if (c.length > (widths[i] ?? 0)) widths[i] = c.length;
    });
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  yield line(headers);
  yield line(widths.map((w) => '-'.repeat(w)));
  for (const r of rows()) yield line(r);
}

/**
 * Writes lines through `out` in blocks (one write per block, never all at
 * once), waiting for `drained` after each: a pipe's slow reader keeps a block,
 * not the report, waiting in memory.
 */
export async function writeLines(
  out: (text: string) => void,
  lines: Iterable<string>,
  drained: () => Promise<void> = async () => undefined,
  perBlock = 2000,
): Promise<void> {
  let block: string[] = [];
  for (const l of lines) {
    block.push(l);
    if (block.length === perBlock) {
      out(block.join('\n'));
      block = [];
      await drained();
    }
  }
  if (block.length) out(block.join('\n'));
}

export function directivesOf(m: Migration): string {
  const d: string[] = [];
  if (m.directives.noTransaction) d.push('no-transaction');
  if (m.directives.lockTimeoutMs !== undefined) d.push(`lock-timeout=${formatDuration(m.directives.lockTimeoutMs)}`);
  if (m.directives.statementTimeoutMs !== undefined) d.push(`statement-timeout=${formatDuration(m.directives.statementTimeoutMs)}`);
  if (m.checks.length) d.push(plural(m.checks.length, 'check'));
  if (m.backfill) d.push(`backfill (line ${m.backfill.line})`);
  for (const file of m.directives.afterBackfill ?? []) d.push(`after-backfill ${file}`);
  return d.join(', ');
}

const STATUS_LABEL: Record<PlanEntry['status'], string> = {
  applied: 'applied',
  pending: 'pending',
  changed: 'CHANGED',
  unknown: 'unknown (no file)',
};

/** `applied`, or `baselined` for a row recorded by baseline without running. */
/** A changed entry's two checksums; the one checksum of any other (an unknown entry has only its applied row). */
function checksums(e: PlanEntry): string {
  if (e.status === 'changed' && e.applied && e.migration) return `db ${shortChecksum(e.applied.checksum)} != file ${shortChecksum(e.migration.checksum)}`;
  return shortChecksum(present(e.migration?.checksum ?? e.applied?.checksum, "an entry's checksum"));
}

function statusLabel(e: PlanEntry): string {
  if (e.status === 'applied' && e.applied?.kind === 'baseline') return 'baselined';
  if (e.status === 'changed' && e.applied?.kind === 'baseline') return 'CHANGED (baselined)';
  return STATUS_LABEL[e.status];
}

/** ` (ran as "seed")`: the version ran under another name; ` (ran as version 2)`: a pending file's text already ran; else ''. */
function ranAsNote(e: PlanEntry): string {
  const name = appliedAsOther(e) ?? renamedSince(e);
  if (name !== undefined) return ` (ran as "${name}")`;
  return e.ranAs ? ` (ran as version ${e.ranAs.version})` : '';
}

export function statusTable(plan: Plan): string {
  if (plan.entries.length === 0) return '(no migrations)';
  return table(
    ['version', 'name', 'status', 'applied at', 'checksum'],
    plan.entries.map((e) => [
      String(e.version),
      e.name,
      `${statusLabel(e)}${e.outOfOrder ? ' (out of order)' : ''}${ranAsNote(e)}`,
      e.applied
        ? e.applied.appliedAt
            .toISOString()
            .replace('T', ' ')
            .replace(/\.\d+Z$/, 'Z')
        : '',
      checksums(e),
    ]),
  );
}

/** A file's statements as plan counts them: its body's, and its backfill statement (run after it, in batches). */
export function statementsOf(m: Pick<Migration, 'statementCount' | 'backfill'>): number {
  return m.statementCount + (m.backfill ? 1 : 0);
}

export function planTable(plan: Plan): string {
  if (plan.pending.length === 0) return 'nothing to apply: up to date';
  return table(
    ['#', 'version', 'file', 'statements', 'directives'],
    plan.pending.map((m, i) => [String(i + 1), String(m.version), m.file, String(statementsOf(m)), directivesOf(m)]),
  );
}

/** What a blocker's ages measure, each labelled as what it is. */
function blockerAges(b: Blocker): string[] {
  const ages: string[] = [];
  if (b.heldForSeconds !== undefined) ages.push(`held for ${b.heldForSeconds}s`);
  if (b.xactAgeSeconds !== undefined) ages.push(`${b.xactAgeSeconds}s in transaction`);
  if (b.connectedSeconds !== undefined) ages.push(`connected ${b.connectedSeconds}s ago`);
  return ages;
}

function blockerLines(label: string, list: Blocker[]): string[] {
  return list.map((b) => {
    const about = [b.state, ...blockerAges(b)].filter(Boolean).join(', ');
    const worker = b.lockPid === undefined ? '' : `${b.file ? ` applying ${b.file}` : ''}; its runner lock is held by its idle connection, pid ${b.lockPid}`;
    return `  ${label}: pid ${b.pid}${b.user ? ` user ${b.user}` : ''}${b.application ? ` app "${b.application}"` : ''}${about ? ` (${about})` : ''}${b.locks ? ` holding ${b.locks}` : ''}${worker}`;
  });
}

/** A multi-line, readable rendering of an engine error. */
export function formatError(e: MigrationError): string {
  const lines = [`error: ${e.message}`];
  if (e.sqlstate) lines.push(`  sqlstate: ${e.sqlstate}`);
  if (e.detail) lines.push(`  detail: ${e.detail}`);
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  // The server's context, innermost first: each line (a DO block's own line number is in the second).
  if (e.where)
    lines.push(
      ...e.where
        .split('\n')
        .slice(0, 5)
        .map((w) => `  where: ${w}`),
    );
  if (e.statement) lines.push(`  statement: ${e.statement.replace(/\s+/g, ' ').slice(0, 200)}`);
  if (e instanceof CheckFailedError) {
    for (const row of e.rows) lines.push(`  row: ${JSON.stringify(row)}`);
    if (e.rowCount > e.rows.length) lines.push(`  … ${e.rowCount - e.rows.length} more`);
  }
  if (e instanceof LockTimeoutError) lines.push(...blockerLines('blocked by', e.blockers));
  if (e instanceof LockWaitTimeoutError) lines.push(...blockerLines('held by', e.holders));
  if (e.fix) lines.push(`  fix: ${e.fix}`);
  return lines.join('\n');
}
