/**
 * enum-value-before-commit: a transactional file that adds a label to an
 * enum (`ALTER TYPE … ADD VALUE`) and uses the label later in the same
 * file. PostgreSQL runs ADD VALUE inside a transaction block (12+), but
 * refuses the new label until it commits (55P04, "unsafe use of new
 * value"), so the migration fails and is rolled back. PostgreSQL 17 and
 * later take the label at once when the enum type itself was created in the
 * same transaction (pg_enum.c leaves such a value out of its uncommitted
 * values; seen on 18, and refused on 15): for a type this file creates, the
 * finding says "on PostgreSQL < 17", or, with a database (`--database-url`)
 * or `--server-version`, is made only for a server older than 17. A label
 * is taken to be used where a later statement has it as a string literal; it may be a text
 * value that only looks alike, so this is a warning, unless the literal is
 * cast to the type (`'b'::status`): then the server refuses it for certain,
 * an error.
 */
import { quoteLiteral, sqlComment } from '../../../engine/sql/sql-quote';
import { names, type ParsedStatement } from '../../parser/parse';
import { lexSql, type Token } from '../../../engine/sql/lexer';
import { inPlace, renderFix } from '../fix';
import type { LintRule, RuleContext } from '../rule';
import type { LintSource } from '../source';
import { get } from '../../../engine/errors/present';

/** An added label: its type (as written, and its name alone), the line, and whether this file created the type. */
interface Added {
  type: string;
  typeName: string;
  line: number;
  typeCreatedHere: boolean;
}

/** The labels each file added so far, and the enum types it created (by name). */
const added = new WeakMap<LintSource, { labels: Map<string, Added>; types: Set<string> }>();

/** PostgreSQL takes a label added to a type created in the same transaction from this major on. */
const SAME_TRANSACTION_TYPE_MAJOR = 17;

export const ENUM_VALUE_BEFORE_COMMIT: LintRule = {
  id: 'enum-value-before-commit',
  severity: 'warning',
  title: 'an enum label added (ALTER TYPE … ADD VALUE) and used in the same transaction',
  why: 'PostgreSQL refuses a new enum label until the transaction that added it commits (55P04): the migration fails and is rolled back',
  fix: 'add the label in a migration of its own, before the one that uses it',
  squawk: [],
  examples: {
    existing: "CREATE TYPE order_status AS ENUM ('new', 'paid');\nCREATE TABLE orders (id bigint PRIMARY KEY, status order_status);",
    triggers: "ALTER TYPE order_status ADD VALUE 'refunded';\nUPDATE orders SET status = 'refunded' WHERE id = 1;",
    passes: "ALTER TYPE order_status ADD VALUE 'refunded';",
  },
  statement(ctx, s) {
    if (ctx.src.noTransaction) return;
    let file = added.get(ctx.src);
    if (!file) added.set(ctx.src, (file = { labels: new Map(), types: new Set() }));
    if (s.kind === 'CreateEnumStmt') file.types.add(names(s.node.typeName).at(-1) ?? '');
    if (s.kind === 'AlterEnumStmt' && typeof s.node.newVal === 'string' && s.node.oldVal === undefined) {
      const typeName = names(s.node.typeName).at(-1) ?? '';
      file.labels.set(s.node.newVal, { type: names(s.node.typeName).join('.'), typeName, line: s.line, typeCreatedHere: file.types.has(typeName) });
      return;
    }
    if (!file.labels.size) return;
    const used = usedLabel(s, file.labels);
    if (used) report(ctx, s, used.label, get(file.labels, used.label), used.cast);
  },
};

function report(ctx: RuleContext, s: ParsedStatement, used: string, a: Added, cast: boolean): void {
  const major = ctx.serverMajor;
  // A type this transaction created: its new labels are usable at once from PostgreSQL 17 on.
  if (a.typeCreatedHere && major !== undefined && major >= SAME_TRANSACTION_TYPE_MAJOR) return;
  const server = major !== undefined ? `PostgreSQL ${major}` : a.typeCreatedHere ? 'PostgreSQL < 17' : 'PostgreSQL';
  const created = a.typeCreatedHere ? ` (PostgreSQL 17+ takes it: this file creates ${a.type})` : '';
  ctx.report(ENUM_VALUE_BEFORE_COMMIT, s, {
    message: `uses '${used}', the label line ${a.line} adds to ${a.type} in this transaction: ${server} refuses it until the ADD VALUE commits (55P04), and the migration is rolled back${created}`,
    ...(cast ? { severity: 'error' as const } : {}),
    fix: renderFix([
      inPlace(
        sqlComment(
          `move line ${a.line} (ALTER TYPE ${a.type} ADD VALUE ${quoteLiteral(used)}) into a migration of its own, before this one: it commits there, and this file can use the label`,
        ),
        ...(a.typeCreatedHere ? [sqlComment(`or list ${quoteLiteral(used)} in the CREATE TYPE of ${a.type} instead of adding it after`)] : []),
        '-- or make this file no-transaction (the directive on its first line), so each statement commits on its own',
      ),
    ]),
  });
}

/** The first added label the statement has as a string literal, and whether that literal is cast to the label's type (`'b'::status`: a use for certain). */
function usedLabel(s: ParsedStatement, labels: Map<string, Added>): { label: string; cast: boolean } | undefined {
  const tokens = [...lexSql(s.text)];
  let found: { label: string; cast: boolean } | undefined;
  tokens.forEach((t, k) => {
    if (found?.cast || t.kind !== 'string' || /^[eEuU]/.test(t.text)) return;
    const value = t.text.slice(1, -1).replaceAll("''", "'");
    const a = labels.get(value);
    if (!a) return;
    const cast = castTo(tokens, k + 1) === a.typeName;
    if (!found || cast) found = { label: value, cast };
  });
  return found;
}

/** The name (without its schema) of the type a `::` cast at `k` names, if any. */
function castTo(tokens: Token[], k: number): string | undefined {
  if (tokens[k]?.text !== ':' || tokens[k + 1]?.text !== ':') return undefined;
  let j = k + 2;
  while (tokens[j + 1]?.text === '.' && tokens[j + 2]) j += 2;
  const t = tokens[j];
  if (!t) return undefined;
  return t.kind === 'quoted-identifier' ? t.text.slice(1, -1).replaceAll('""', '"') : t.text.toLowerCase();
}
