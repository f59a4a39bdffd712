/**
 * What a lint rule is: its metadata (id, severity, what it finds, why that
 * is dangerous, the fix, the squawk rule it matches), the SQL that triggers
 * it and the SQL that passes, beside its check. A check is called for each
 * statement of a pending file, and for each ALTER TABLE subcommand, with the
 * model as it was just before; it reports through the context.
 */
import { maskStatementSecrets } from '../../engine/errors/statement-secrets';
import type { Finding, Severity } from '../findings/finding';
import type { Node, ParsedStatement, TextPositions } from '../parser/parse';
import type { AlterTarget, PendingModel } from './model';
import type { LintSource } from './source';
import type { LintCatalog } from './catalog';

export interface RuleExamples {
  /** An applied migration the examples run after: the existing tables they touch. @default - none */
  existing?: string;
  /** A pending migration this rule reports (and no other rule does). */
  triggers: string;
  /** The same change written safely: no rule reports it. */
  passes: string;
}

export interface LintRule {
  /** Stable id: what findings carry and `-- schemaguard:allow` takes. */
  id: string;
  severity: Severity;
  /** What it finds, in one line. */
  title: string;
  /** Why that is dangerous, in one line. */
  why: string;
  /** The safe rewrite, in one line (each finding prints the exact SQL). */
  fix: string;
  /** The squawk rules that look for the same thing (the rule's reference page links them). */
  squawk: readonly string[];
  examples: RuleExamples;
  /** Called once per pending file, before its statements. */
  file?(ctx: RuleContext): void;
  /** Called for each statement of a pending file, before the model applies it. */
  statement?(ctx: RuleContext, s: ParsedStatement): void;
  /** Called for each ALTER TABLE subcommand, before the model applies it. */
  alterCommand?(ctx: RuleContext, s: ParsedStatement, target: AlterTarget, cmd: Node): void;
  /** Called once per pending file, after its statements: what a rule held until the file's end (`held.ts`) is reported here. */
  endFile?(ctx: RuleContext): void;
}

/** One finding, as a rule words it; rule, severity and location are filled in. */
export interface Report {
  message: string;
  /** @default the rule's why */
  why?: string;
  fix: string;
  /** Byte offset in the file (a node's location). @default the statement's first token */
  at?: number;
  /** @default the rule's severity */
  severity?: Severity;
}

export interface RuleContext {
  src: LintSource;
  positions: TextPositions;
  model: PendingModel;
  /** The database's functions and domains, when lint has one (`--database-url`). */
  catalog?: LintCatalog;
  /** The server's major version: `--server-version`, or the catalog's (`LintCatalog.serverMajor`). @default - not known */
  serverMajor?: number;
  /** Report on a statement. */
  report(rule: LintRule, s: ParsedStatement, r: Report): void;
  /** Report at a line of the file (a directive). */
  reportAt(rule: LintRule, line: number, r: Report): void;
}

export function finding(rule: LintRule, file: string, line: number, column: number, r: Report): Finding {
  return { rule: rule.id, severity: r.severity ?? rule.severity, file, line, column, message: r.message, why: r.why ?? rule.why, fix: withMaskNote(r.fix) };
}

/**
 * Every text schemaguard prints masks what may be a password (a literal
 * after PASSWORD, a `password=` in a connection-string literal:
 * statement-secrets.ts), the user's own statement echoed in a fix included,
 * though the literal may be ordinary data (`WHERE code <> 'host=x
 * password=…'`). The fix then says so: copied as printed, it would not be
 * the statement the file has.
 */
export const MASKED_FIX_NOTE =
  '-- where this fix shows ****, the output masked a literal that may hold a password: copy that literal from the migration file, not ****';

function withMaskNote(fix: string): string {
  return maskStatementSecrets(fix) === fix ? fix : `${fix}\n${MASKED_FIX_NOTE}`;
}
