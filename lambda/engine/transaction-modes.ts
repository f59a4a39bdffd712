/**
 * The modes a file's own `BEGIN ISOLATION LEVEL SERIALIZABLE` or `START
 * TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY` asks for, and
 * what its refusal says about keeping them. schemaguard runs each file in
 * its own transaction, and that transaction has run a query of its own
 * (the SELECT that sets its timeouts) before the file's first statement, so
 * a `SET TRANSACTION ISOLATION LEVEL …` in the file fails with 25001 ("must
 * be called before any query"), on both drivers; the level the transaction
 * starts with is the session's `default_transaction_isolation`, which a
 * role or database setting, or the connection's options, give.
 */

const LEVELS = ['serializable', 'repeatable read', 'read committed', 'read uncommitted'];

/** The transaction modes after BEGIN [WORK | TRANSACTION] or START TRANSACTION, from the statement's words: its isolation level and access mode. */
export function transactionModes(words: readonly string[]): { level?: string; readOnly: boolean; deferrable: boolean } | undefined {
  const start = words[0] === 'start' && words[1] === 'transaction' ? 2 : words[0] === 'begin' ? (words[1] === 'work' || words[1] === 'transaction' ? 2 : 1) : undefined;
  if (start === undefined) return undefined;
  const text = ` ${words.slice(start).join(' ')} `;
  const level = LEVELS.find((l) => text.includes(` isolation level ${l} `));
  const readOnly = / read only /.test(text);
  const deferrable = / deferrable /.test(text) && !/ not deferrable /.test(text);
  return level || readOnly || deferrable ? { level, readOnly, deferrable } : undefined;
}

/** What a refused BEGIN / START TRANSACTION with modes (`words`) says about them, or undefined when it asks for none. */
export function transactionModesAdvice(words: readonly string[]): string | undefined {
  const modes = transactionModes(words);
  if (!modes) return undefined;
  const advice: string[] = [];
  if (modes.level && modes.level !== 'read committed') {
    const level = modes.level.toUpperCase();
    advice.push(`Its ISOLATION LEVEL ${level} cannot be kept in the file: schemaguard's transaction has run a query of its own before the file's first statement, so a SET TRANSACTION ISOLATION LEVEL ${level} there fails (25001, "must be called before any query"). To run the migrations at that level, make it the default of the role that runs them: ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = '${modes.level}' (each new session of that role then starts every transaction so, schemaguard's too); for one CLI run, add options=-c%20default_transaction_isolation%3D${modes.level.replace(' ', '%5C%20')} to the --database-url query string`);
  } else if (modes.level) {
    advice.push('Its ISOLATION LEVEL READ COMMITTED is PostgreSQL\'s default, which schemaguard\'s transaction has unless the role or database sets another');
  }
  if (modes.readOnly) advice.push('Its READ ONLY cannot be kept: the migration\'s transaction writes the migration\'s state row; a file that only reads is a check (-- schemaguard:check)');
  if (modes.deferrable) advice.push('Its DEFERRABLE matters only to a SERIALIZABLE READ ONLY transaction: drop it');
  return advice.join('. ');
}
