/**
 * The modes a file's own `BEGIN ISOLATION LEVEL SERIALIZABLE`, `START
 * TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY` or `SET
 * TRANSACTION …` asks for, and what its refusal says about keeping them. schemaguard runs each file in
 * its own transaction, and that transaction has run a query of its own
 * (the SELECT that sets its timeouts) before the file's first statement, so
 * a `SET TRANSACTION ISOLATION LEVEL …` in the file fails with 25001 ("must
 * be called before any query"), on both drivers; the level the transaction
 * starts with is the session's `default_transaction_isolation`, which a
 * role or database setting, or the connection's options, give.
 */

import { InputError } from '../errors/errors';
import { readsAsTrue, type SettingChange } from '../sql/settings';
import type { SqlStatement } from '../sql/splitter';

const LEVELS = ['serializable', 'repeatable read', 'read committed', 'read uncommitted'];

/** Whether a statement is `SET TRANSACTION …` (modes or SNAPSHOT), from its words. */
export function isSetTransaction(words: readonly string[]): boolean {
  return words[0] === 'set' && words[1] === 'transaction';
}

/** The transaction modes after BEGIN [WORK | TRANSACTION], START TRANSACTION or SET TRANSACTION, from the statement's words: its isolation level and access mode. */
export function transactionModes(words: readonly string[]): { level?: string; readOnly: boolean; deferrable: boolean } | undefined {
  const start =
    (words[0] === 'start' || words[0] === 'set') && words[1] === 'transaction'
      ? 2
      : words[0] === 'begin'
        ? words[1] === 'work' || words[1] === 'transaction'
          ? 2
          : 1
        : undefined;
  if (start === undefined) return undefined;
  const text = ` ${words.slice(start).join(' ')} `;
  const level = LEVELS.find((l) => text.includes(` isolation level ${l} `));
  const readOnly = / read only /.test(text);
  const deferrable = / deferrable /.test(text) && !/ not deferrable /.test(text);
  return level || readOnly || deferrable ? { level, readOnly, deferrable } : undefined;
}

/**
 * The refusal of a file's `SET TRANSACTION …`: after schemaguard's own query
 * it fails (25001) or, READ ONLY, fails the file's writes (25006), or does
 * nothing; in a no-transaction file it sets nothing (25P01 warning).
 */
export function setTransactionError(file: string, s: Pick<SqlStatement, 'line' | 'words' | 'text'>, noTransaction: boolean): InputError {
  // How to keep a mode is about a transactional file's transaction: a no-transaction file has none.
  const modes = noTransaction ? undefined : transactionModesAdvice(s.words);
  const [where, fix] = noTransaction
    ? [
        'in a no-transaction file',
        'remove it: a no-transaction file runs each statement in a transaction of its own, so a SET TRANSACTION there sets nothing (PostgreSQL only warns, 25P01, "SET TRANSACTION can only be used in transaction blocks")',
      ]
    : [
        'inside a transactional migration',
        `remove it: schemaguard runs the file in its own transaction, which has run queries of its own before the file's first statement${modes ? '' : ', so a SET TRANSACTION there fails (25001, "must be called before any query") or changes nothing'}`,
      ];
  return new InputError(`${file}:${s.line}: SET TRANSACTION ${where}`, {
    file,
    line: s.line,
    value: s.text.slice(0, 80),
    fix: modes ? `${fix}. ${modes}` : fix,
  });
}

/** What a refused BEGIN / START TRANSACTION / SET TRANSACTION with modes (`words`) says about them, or undefined when it asks for none. */
export function transactionModesAdvice(words: readonly string[]): string | undefined {
  const modes = transactionModes(words);
  if (!modes) return undefined;
  const advice: string[] = [];
  if (modes.level && modes.level !== 'read committed') {
    const level = modes.level.toUpperCase();
    advice.push(
      `Its ISOLATION LEVEL ${level} cannot be kept in the file: schemaguard's transaction has run a query of its own before the file's first statement, so a SET TRANSACTION ISOLATION LEVEL ${level} there fails (25001, "must be called before any query"). ${levelAdvice(modes.level)}`,
    );
  } else if (modes.level) {
    advice.push("Its ISOLATION LEVEL READ COMMITTED is PostgreSQL's default, which schemaguard's transaction has unless the role or database sets another");
  }
  if (modes.readOnly)
    advice.push(
      "Its READ ONLY cannot be kept: the migration's transaction writes the migration's state row; a file that only reads is a check (-- schemaguard:check)",
    );
  if (modes.deferrable) advice.push('Its DEFERRABLE matters only to a SERIALIZABLE READ ONLY transaction: drop it');
  return advice.join('. ');
}

/** How to run the migrations at `level` (lower case; `<level>` when not known): the role's default, or the connection's options. */
function levelAdvice(level: string): string {
  const inUrl = level === '<level>' ? '<level> (a space in it written %5C%20)' : level.replace(' ', '%5C%20');
  return `To run the migrations at ${level === '<level>' ? 'a level' : 'that level'}, make it the default of the role that runs them: ALTER ROLE <role> IN DATABASE <database> SET default_transaction_isolation = '${level}' (each new session of that role then starts every transaction so, schemaguard's too); for one CLI run, add options=-c%20default_transaction_isolation%3D${inUrl} to the --database-url query string`;
}

/** The settings that are a transaction's own modes, which `SET TRANSACTION` sets. */
export const TRANSACTION_SETTINGS: ReadonlySet<string> = new Set(['transaction_isolation', 'transaction_read_only', 'transaction_deferrable']);

/**
 * The first of a statement's setting changes that cannot work in a migration,
 * however written (SET, set_config, UPDATE pg_settings, a DO block): after
 * schemaguard's own query, transaction_isolation and transaction_deferrable
 * fail (25001) or change nothing, and transaction_read_only on fails the
 * file's writes and state row (25006); in a no-transaction file a SET lasts
 * one statement. transaction_read_only off changes nothing and is let be.
 */
export function refusedTransactionSetting(changes: readonly SettingChange[]): SettingChange | undefined {
  return changes.find((c) => TRANSACTION_SETTINGS.has(c.name) && (c.name !== 'transaction_read_only' || readsAsTrue(c.value)));
}

/** The refusal of a statement's `change` of a transaction-mode setting (`refusedTransactionSetting`), with how to keep the mode. */
export function transactionSettingError(file: string, s: Pick<SqlStatement, 'line' | 'text'>, change: SettingChange, noTransaction: boolean): InputError {
  const where = noTransaction ? 'in a no-transaction file' : 'inside a transactional migration';
  const fix = noTransaction ? settingOutsideFix(change) : settingInsideFix(change);
  return new InputError(`${file}:${s.line}: ${change.name} set ${where}`, { file, line: s.line, value: s.text.slice(0, 80), fix });
}

/** The level a transaction_isolation value names, lower case. */
function levelOf(value: string): string | undefined {
  const v = value.trim().toLowerCase();
  return LEVELS.includes(v) ? v : undefined;
}

function settingInsideFix(change: SettingChange): string {
  const fix = "remove it: schemaguard runs the file in its own transaction, which has run queries of its own before the file's first statement";
  if (change.name === 'transaction_read_only') {
    return `${fix}; transaction_read_only on is taken there, and then the file's writes and its state row fail (25006, "cannot execute … in a read-only transaction"). ${transactionModesAdvice(['set', 'transaction', 'read', 'only'])}`;
  }
  if (change.name === 'transaction_deferrable') {
    const deferrable = readsAsTrue(change.value) ? `. ${transactionModesAdvice(['set', 'transaction', 'deferrable'])}` : '';
    return `${fix}, so setting transaction_deferrable there fails (25001, "must be called before any query")${deferrable}`;
  }
  const level = levelOf(change.value);
  const advice =
    level === 'read committed' ? transactionModesAdvice(['set', 'transaction', 'isolation', 'level', 'read', 'committed']) : levelAdvice(level ?? '<level>');
  return `${fix}, so setting transaction_isolation there fails (25001, "must be called before any query") or, at the level the transaction has, changes nothing. ${advice}`;
}

function settingOutsideFix(change: SettingChange): string {
  const byQuery =
    change.name === 'transaction_read_only'
      ? ''
      : `, and a query that sets it (set_config, a DO block, UPDATE pg_settings) fails (25001, "must be called before any query")${change.name === 'transaction_isolation' ? ' unless it names the level in force' : ''}`;
  const fix = `remove it: a no-transaction file runs each statement in a transaction of its own, so ${change.name} set there lasts only for that statement's own transaction (a SET LOCAL only warns, 25P01)${byQuery}`;
  if (change.name !== 'transaction_isolation') return fix;
  return `${fix}. ${levelAdvice(levelOf(change.value) ?? '<level>')}`;
}
