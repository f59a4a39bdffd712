/**
 * A guard pass (or a contract's transaction) idles between its statements while the function works on what it
 * read (drift on a large catalog takes seconds); a database-level
 * idle_in_transaction_session_timeout of 300 ms ended the session mid-pass
 * (25P03). The setting is a user one (any role may SET it, PostgreSQL 15 to
 * 18); it is raised for this transaction only, to a bound rather than 0: a
 * function frozen or killed mid-pass still has its session ended, and the
 * ACCESS SHARE locks it holds released, within a minute.
 */
export const IDLE_IN_TRANSACTION_MS = 60_000;
export const IDLE_IN_TRANSACTION = `SET LOCAL idle_in_transaction_session_timeout = ${IDLE_IN_TRANSACTION_MS}`;
