/**
 * How a session says which migration file it applies, and how another session
 * reads that from pg_stat_activity: a runner waiting for the lock, the
 * blockers a lock timeout names, and an operator all see the file, never the
 * session's query itself (it may carry the session's data).
 */

const APPLYING = 'schemaguard: applying';

/** The application_name a no-transaction file's session runs under (`workerFile` reads it back). */
export function applyingName(file: string): string {
  return `${APPLYING} ${file}`.slice(0, 63);
}

/**
 * A comment naming the file, heading its message: pg_stat_activity shows the
 * message's text from its start, so a runner waiting for the lock (and an
 * operator) sees which file runs. Free for the server, which skips comments.
 */
export function fileComment(file: string): string {
  return `/* ${APPLYING} ${file.replace(/\*\/|\/\*|[\x00-\x1f\x7f]/g, '?').slice(0, 200)} */ `;
}

/**
 * SQL: the file named by the comment heading a session's query
 * (`fileComment`), or NULL: what a reader of pg_stat_activity takes from
 * another session's query, never the query itself (it may carry the
 * session's data).
 */
export function queryFileSql(query: string): string {
  return `substring(${query} from '^/[*] ${APPLYING} (.+?) [*]/')`;
}

/** The migration file a session runs, from its application_name (a no-transaction file's) or the comment heading its message (`queryFileSql`). */
export function workerFile(application: string | undefined, queryFile: string | undefined): string | undefined {
  return new RegExp(`^${APPLYING} (.+)$`).exec(application ?? '')?.[1] ?? (queryFile || undefined);
}
