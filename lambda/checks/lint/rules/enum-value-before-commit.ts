/**
 * enum-value-before-commit: a transactional file that adds a label to an
 * enum (`ALTER TYPE … ADD VALUE`) and uses the label later in the same
 * file. PostgreSQL runs ADD VALUE inside a transaction block (12+), but
 * refuses the new label until it commits (55P04, "unsafe use of new value":
 * seen on 15 and 18; 18 allows it for a type created in the same
 * transaction, 15 does not), so the migration fails and is rolled back. A
 * label is taken to be used where a later statement has it as a string
 * literal; it may be a text value that only looks alike, so this is a
 * warning.
 */
import { names, type ParsedStatement } from '../../parse';
import { lexSql } from '../../../engine/sql/lexer';
import { inPlace, renderFix } from '../fix';
import type { LintRule } from '../rule';
import type { LintSource } from '../source';

/** The labels each file added so far: label → the type and the line. */
const added = new WeakMap<LintSource, Map<string, { type: string; line: number }>>();

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
    let labels = added.get(ctx.src);
    if (s.kind === 'AlterEnumStmt' && typeof s.node.newVal === 'string' && s.node.oldVal === undefined) {
      if (!labels) added.set(ctx.src, (labels = new Map()));
      labels.set(s.node.newVal, { type: names(s.node.typeName).join('.'), line: s.line });
      return;
    }
    if (!labels?.size) return;
    const used = usedLabel(s, labels);
    if (!used) return;
    const { type, line } = labels.get(used)!;
    ctx.report(ENUM_VALUE_BEFORE_COMMIT, s, {
      message: `uses '${used}', the label line ${line} adds to ${type} in this transaction: PostgreSQL refuses it until the ADD VALUE commits (55P04), and the migration is rolled back`,
      fix: renderFix([inPlace(
        `-- move line ${line} (ALTER TYPE ${type} ADD VALUE '${used}') into a migration of its own, before this one: it commits there, and this file can use the label`,
        '-- or make this file no-transaction (the directive on its first line), so each statement commits on its own',
      )]),
    });
  },
};

/** The first added label the statement has as a string literal. */
function usedLabel(s: ParsedStatement, labels: Map<string, unknown>): string | undefined {
  for (const t of lexSql(s.text)) {
    if (t.kind !== 'string' || /^[eEuU]/.test(t.text)) continue;
    const value = t.text.slice(1, -1).replaceAll("''", "'");
    if (labels.has(value)) return value;
  }
  return undefined;
}
