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
 *
 * The driver drops the marker after the call either way; a runner that dies
 * mid-call leaves it. Each marker's name carries its runner's lease holder
 * (`markerTable`), so the next run drops, under the runner lock and before
 * any migration runs, every marker of a runner whose lease is no longer live
 * (`dropStaleMarkers`) — never one a live runner (another lease name) waits
 * on. Making the marker needs CREATE on the state schema: a run with such a
 * block pending is refused before anything runs when the role lacks it
 * (`refuseWithoutMarkerPrivilege`), with the GRANT.
 */
import { MigrationError } from '../../engine/errors/errors';
import { quoteIdent } from '../../engine/state/identifiers';
import type { Queryable } from '../../engine/ports';
import { LEASE_TABLE } from '../../engine/state/runner-lock-names';
import { bodyBatches, runsOutsideTransaction, type Migration } from '../../engine/files/source';
import { classifySql } from '../../engine/sql/classify';
import { dollarTag, isComment, tokenize } from '../../engine/sql/lexer';
import { DOCS_POINTERS } from '../../engine/errors/docs-pointers';
import { INSUFFICIENT_PRIVILEGE } from '../../engine/errors/sqlstate';

/** Every marker's name starts so (a LIKE pattern below escapes its underscores). */
export const MARKER_PREFIX = 'schemaguard_outcome_';

/** How much of the lease holder's id a marker's name carries (the name stays within 63 bytes). */
const HOLDER_CHARS = 12;

/**
 * A marker's name: the prefix, the runner's lease holder (its first 12 hex
 * digits) and `id`, e.g. `schemaguard_outcome_3f2a…_9c41…`; without a
 * holder (no lease) none, and the marker is stale to the next run.
 */
export function markerName(id: string, holder?: string): string {
  const who = holder ? `${holder.replace(/-/g, '').slice(0, HOLDER_CHARS)}_` : '';
  return `${MARKER_PREFIX}${who}${id}`;
}

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
  const last = tokenize(inner)
    .filter((t) => !isComment(t))
    .at(-1);
  const content = last?.text === ';' ? inner.slice(0, last.offset) + inner.slice(last.end) : inner;
  // The marker's name first, on the body's first line: pg_stat_activity shows a statement's first 1 kB (track_activity_query_size),
  // so the next run can tell the block of a runner that died still running (`refuseWhileStaleBlockRuns`).
  const named = `/* ${table.replace(/[*/]/g, '')} */ BEGIN `;
  const wrapped = `${open}${named}${content}\n;\nBEGIN DROP TABLE ${table}; EXCEPTION WHEN OTHERS THEN NULL; END;\nEND${open}`;
  return { sql: sql.slice(0, body.offset) + wrapped + sql.slice(body.end), at: body.offset + open.length, shift: open.length + named.length - quote.length };
}

/**
 * Drops the markers in `schema` that no live lease's holder made: left by a
 * runner that died mid-call (or by a version that named none). Called under
 * the runner lock, so the caller's own lease is live and its markers stay, as
 * do those of a runner holding a lease of another name. A marker that cannot
 * be dropped is left for the next run. Returns the markers dropped.
 */
export async function dropStaleMarkers(q: Queryable, schema: string): Promise<string[]> {
  const stale = (
    await q.query<{ marker: string }>(`SELECT format('%I.%I', nspname, relname) AS marker FROM (${staleMarkersSql(schema)}) s ORDER BY relname`, [schema])
  ).rows.map((r) => r.marker);
  const dropped: string[] = [];
  for (const marker of stale) {
    try {
      await q.query(`DROP TABLE IF EXISTS ${marker}`);
      dropped.push(marker);
    } catch {
      // Another role's, or locked: harmless (an empty table in the state schema), dropped by a later run.
    }
  }
  return dropped;
}

/** The markers (nspname, relname) in schema $1 that no live lease's holder made. */
function staleMarkersSql(schema: string): string {
  const prefix = MARKER_PREFIX.replace(/_/g, '\\_');
  return `SELECT n.nspname, c.relname
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname LIKE '${prefix}%'
        AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(schema)}.${quoteIdent(LEASE_TABLE)} l
                         WHERE l.expires_at > clock_timestamp()
                           AND c.relname LIKE '${prefix}' || left(replace(l.holder, '-', ''), ${HOLDER_CHARS}) || '\\_%')`;
}

/**
 * Refuses, before anything runs, a run while the DO block of a runner that
 * died is still running: its call outlived the runner (the service keeps a
 * statement going past the 45-second call), its lease expired and this run
 * took it over, and running the same file beside it would run its batches
 * twice at once. The block is found by its marker's name, which it carries
 * on its first line (`markDoBlock`), in pg_stat_activity — where the role's
 * own sessions show their query (another role's need pg_read_all_stats).
 */
export async function refuseWhileStaleBlockRuns(q: Queryable, schema: string): Promise<void> {
  const running = (
    await q.query<{ marker: string; pid: number; seconds: number }>(
      `SELECT format('%I.%I', s.nspname, s.relname) AS marker, a.pid, floor(extract(epoch FROM clock_timestamp() - a.query_start))::int AS seconds
       FROM (${staleMarkersSql(schema)}) s
       JOIN pg_stat_activity a ON a.pid <> pg_backend_pid() AND a.state = 'active' AND position(s.relname IN a.query) > 0
      ORDER BY a.query_start LIMIT 1`,
      [schema],
    )
  ).rows[0];
  if (!running) return;
  throw new MigrationError(
    `a DO block of a runner that stopped (its lease expired) is still running: pid ${running.pid}, for ${running.seconds} s (outcome marker ${running.marker}); nothing was run`,
    {
      fix: `its batches commit as it goes, and its file run again beside it would run them twice at once: wait for it to end (SELECT state, now() - query_start FROM pg_stat_activity WHERE pid = ${running.pid}), or stop it with SELECT pg_cancel_backend(${running.pid}); then run again (deploy again): no state row was written for its file, which runs again from its start`,
    },
  );
}

/**
 * Refuses, before anything runs, a run whose pending no-transaction files
 * hold a DO block that gets a marker when the role may not create tables in
 * `schema`: the block would otherwise run unmarked, and past the 45-second
 * call its outcome could not be confirmed. The error names the file, the
 * line and the GRANT.
 */
export async function refuseWithoutMarkerPrivilege(q: Queryable, schema: string, pending: readonly Migration[]): Promise<void> {
  const first = firstMarkedBlock(pending);
  if (!first) return;
  const r = (
    await q.query<{ role: string; may: boolean | null }>(
      `SELECT current_user::text AS role, (SELECT has_schema_privilege(n.oid, 'CREATE') FROM pg_namespace n WHERE n.nspname = $1) AS may`,
      [schema],
    )
  ).rows[0];
  // No state schema yet: the runner creates it, and owns it.
  if (r.may !== false) return;
  throw new MigrationError(
    `${first.migration.file}:${first.line}: a DO block that commits its batches runs through the Data API with an outcome marker, a table made in the state schema ${schema} for the call, and role ${r.role} may not create tables there; nothing was run`,
    {
      file: first.migration.file,
      version: first.migration.version,
      line: first.line,
      sqlstate: INSUFFICIENT_PRIVILEGE,
      fix: `GRANT CREATE ON SCHEMA ${quoteIdent(schema)} TO ${quoteIdent(r.role)};  (the marker tells the driver that a block outliving its 45-second call succeeded; ${DOCS_POINTERS.longNoTransaction})`,
    },
  );
}

/** The first statement of the pending no-transaction files that would be sent with a marker. */
function firstMarkedBlock(pending: readonly Migration[]): { migration: Migration; line: number } | undefined {
  for (const migration of pending.filter(runsOutsideTransaction)) {
    for (const batch of bodyBatches(migration, 1_000_000)) {
      const marked = batch.find((s) => markDoBlock(s.text, 'x', 'x') !== undefined);
      if (marked) return { migration, line: marked.line };
    }
  }
  return undefined;
}
