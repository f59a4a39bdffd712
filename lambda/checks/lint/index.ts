/**
 * Migration lint: rules over the parsed SQL (PostgreSQL's own parser) of the
 * pending migrations, with context. Migrations are read in order; the
 * pending-set model (`model.ts`) follows tables, columns, constraints,
 * functions and domains through them, renames included, so that:
 *
 * - a table created by a pending migration (this one or an earlier pending
 *   one in the same run) is new and empty: rules that only matter for
 *   populated tables (index without CONCURRENTLY, constraint without NOT
 *   VALID, table rewrites) do not fire on it;
 * - a table created by an applied migration, or by nothing in the files, is
 *   an existing table;
 * - column types known from earlier migrations let the FK-type and
 *   type-change rules compare types.
 *
 * Applied migrations feed the model but are not linted. Without the applied
 * set (no database), every file is pending. With a database, its functions'
 * volatility and its domains are read too (`catalog.ts`).
 *
 * One module per rule in `rules/`, its metadata and examples beside its
 * check (`rule.ts` says what a rule is). To add a rule: write its module,
 * add it to `LINT_RULES` below, test it in test/lambda/checks/lint/rules/,
 * and run `npm run docs:generate` (its reference page comes from its module).
 */
import type { Allowance } from '../../engine/files/source';
import type { AllowedFinding, Finding } from '../findings/finding';
import { loadParser, parseSqlInChunks, type ParsedStatement } from '../parser/parse';
import { allowanceFor, allowancesByRule, unusedAllows } from './allow';
import type { LintCatalog } from './catalog';
import { FindingsKeeper, type OmittedFindings } from './kept';
import { PendingModel } from './model';
import { finding, type LintRule, type RuleContext } from './rule';
import { ADDING_REQUIRED_FIELD } from './rules/adding-required-field';
import { COLUMN_TYPE_REWRITE } from './rules/column-type-rewrite';
import { CONCURRENTLY_IN_TRANSACTION } from './rules/concurrently-in-transaction';
import { UNNAMED_CONCURRENT_INDEX } from './rules/unnamed-concurrent-index';
import { NO_TRANSACTION_RERUN } from './rules/no-transaction-rerun';
import { CONSTRAINT_NOT_VALID } from './rules/constraint-not-valid';
import { FK_TYPE_MISMATCH } from './rules/fk-type-mismatch';
import { INDEX_NOT_CONCURRENT } from './rules/index-not-concurrent';
import { LOCK_TIMEOUT_DISABLED } from './rules/lock-timeout-disabled';
import { ENUM_VALUE_BEFORE_COMMIT } from './rules/enum-value-before-commit';
import { DROPPING_COLUMN } from './rules/dropping-column';
import { DROPPING_TABLE } from './rules/dropping-table';
import { DROP_CASCADE } from './rules/drop-cascade';
import { PRIMARY_KEY_NOT_VALID_NOT_NULL } from './rules/primary-key-not-valid-not-null';
import { RENAMING_COLUMN } from './rules/renaming-column';
import { RENAMING_CONSTRAINT } from './rules/renaming-constraint';
import { RENAMING_SCHEMA } from './rules/renaming-schema';
import { RENAMING_TABLE } from './rules/renaming-table';
import { SET_NOT_NULL_WITHOUT_CHECK } from './rules/set-not-null-without-check';
import { UNUSED_ALLOW } from './rules/unused-allow';
import { UUID_PK_WITHOUT_DEFAULT } from './rules/uuid-pk-without-default';
import { VALIDATE_IN_SAME_TRANSACTION } from './rules/validate-in-same-transaction';
import { TABLE_REWRITE } from './rules/table-rewrite';
import { WHOLE_TABLE_DELETE } from './rules/whole-table-delete';
import { WHOLE_TABLE_UPDATE } from './rules/whole-table-update';
import { VOLATILE_DEFAULT } from './rules/volatile-default';
import type { LintSource } from './source';
import { SERVER_VERSION_RULE, serverVersionFindings } from './server-version';
import { get, present } from '../../engine/errors/present';

export type { CatalogColumn, LintCatalog } from './catalog';
export { allowedCount, allowedOmittedLine, FINDINGS_KEPT_PER_RULE, lintCounts, omittedLine, type OmittedFindings } from './kept';
export { alteredTables, checkProves, needsDependencies, notNullProvenInDatabase, readLintCatalog } from './catalog';
export { rewriteContextOf, rewritingColumnDefault, type RewriteContext } from './column';
export { PendingModel } from './model';
export { notNullColumns, notNullProven } from './model-tables';
export type { LintRule, RuleExamples } from './rule';
export { lintSourceFromText, lintSourceOf, type LintSource } from './source';
export { applyRuleLevels, unknownRules, type RuleLevel } from './levels';
export { isZoneChange, rewritesOnTypeChange, usingTransforms } from './type-change';

/** Every rule, in the order they run (and their reference pages list them). */
export const LINT_RULES: readonly LintRule[] = [
  INDEX_NOT_CONCURRENT,
  CONSTRAINT_NOT_VALID,
  VALIDATE_IN_SAME_TRANSACTION,
  ENUM_VALUE_BEFORE_COMMIT,
  SET_NOT_NULL_WITHOUT_CHECK,
  PRIMARY_KEY_NOT_VALID_NOT_NULL,
  ADDING_REQUIRED_FIELD,
  COLUMN_TYPE_REWRITE,
  VOLATILE_DEFAULT,
  UUID_PK_WITHOUT_DEFAULT,
  FK_TYPE_MISMATCH,
  RENAMING_COLUMN,
  RENAMING_TABLE,
  RENAMING_SCHEMA,
  RENAMING_CONSTRAINT,
  DROPPING_COLUMN,
  DROPPING_TABLE,
  DROP_CASCADE,
  WHOLE_TABLE_UPDATE,
  WHOLE_TABLE_DELETE,
  TABLE_REWRITE,
  LOCK_TIMEOUT_DISABLED,
  CONCURRENTLY_IN_TRANSACTION,
  UNNAMED_CONCURRENT_INDEX,
  NO_TRANSACTION_RERUN,
  UNUSED_ALLOW,
];

/** A rule as the CLI lists it (SARIF rule list, help). */
export interface RuleInfo {
  id: string;
  severity: LintRule['severity'];
  title: string;
  why: string;
  fix: string;
  /** squawk's rules for the same thing. */
  squawk: readonly string[];
}

/** Every id a finding of lint may carry: the rules', and the server version's syntax check. */
export const LINT_RULE_IDS: readonly string[] = [...LINT_RULES.map((r) => r.id), SERVER_VERSION_RULE.id];

export const RULES: RuleInfo[] = LINT_RULES.map(({ id, severity, title, why, fix, squawk }) => ({ id, severity, title, why, fix, squawk }));

export interface LintResult {
  /** The first {@link FINDINGS_KEPT_PER_RULE} findings of each rule in each file, in file order then by line and column. */
  findings: Finding[];
  /** Per file and rule, the findings past the first {@link FINDINGS_KEPT_PER_RULE}: counted, not kept (`lintCounts` adds them up). */
  omitted: OmittedFindings[];
  /** The first {@link FINDINGS_KEPT_PER_RULE} findings of each rule in each file silenced by an allow directive, with its reason. */
  allowed: AllowedFinding[];
  /** Per file and rule, the allowed findings past the first {@link FINDINGS_KEPT_PER_RULE}: counted, not kept (`allowedCount` adds them up). */
  allowedOmitted: OmittedFindings[];
  /** Files linted (pending ones). */
  files: string[];
  /** What lint says of its own reading, once each (the database and the applied files disagreed). */
  notes: string[];
}

export interface LintOptions {
  /** The target database's functions and domains (`readLintCatalog`). @default - none: built-in knowledge, unknown functions may rewrite */
  catalog?: LintCatalog;
  /** The server's major version, where no catalog says it (`--server-version`): syntax it lacks is reported, and rules whose outcome changed between versions judge by it. @default - the catalog's; without one, none reported */
  serverMajor?: number;
}

/** Lint pending migrations, in order. Applied ones (`applied: true`) only feed the model. */
export async function lintMigrations(sources: LintSource[], options: LintOptions = {}): Promise<LintResult> {
  await loadParser();
  const model = new PendingModel();
  if (options.catalog?.searchPath) model.useDatabaseSearchPath(options.catalog.searchPath);
  const result: LintResult = { findings: [], omitted: [], allowed: [], allowedOmitted: [], files: [], notes: [] };
  for (const src of sources) {
    // A chunk of statements at a time: a large file's parse trees are never all held.
    const { chunks, positions } = parseSqlInChunks(src.text, { file: src.file });
    model.startFile(src);
    if (src.applied) {
      for (const chunk of chunks) for (const s of chunk) model.apply(s);
      continue;
    }
    if (result.files.length === 0 && options.catalog?.columns) {
      const note = model.useDatabase(options.catalog);
      if (note) result.notes.push(note);
    }
    result.files.push(src.file);
    const keeper = new FindingsKeeper(src.file);
    const allowedKeeper = new FindingsKeeper(src.file);
    // Each finding is allowed, or capped, as it is reported; one reported before any statement is read waits for them all (`later`).
    const byRule = allowancesByRule(src.allowances);
    const used = new Set<Allowance>();
    const later = new Set<Finding>();
    const allow = (f: Finding, a: Allowance) => {
      used.add(a);
      if (allowedKeeper.keep(f)) result.allowed.push({ ...f, allowed: { reason: a.reason, line: a.line } });
    };
    const keep = (f: Finding, lines: readonly number[]) => {
      if (byRule.has(f.rule) && lines.length === 0) {
        later.add(f);
        return true;
      }
      const a = allowanceFor(byRule, f, lines);
      if (!a) return keeper.keep(f);
      allow(f, a);
      return false;
    };
    const serverMajor = options.serverMajor ?? options.catalog?.serverMajor;
    const { raw, lines } = lintFile({ src, positions, model, catalog: options.catalog, ...(serverMajor ? { serverMajor } : {}) }, chunks, keep);
    for (const f of raw) {
      const a = later.has(f) ? allowanceFor(byRule, f, lines) : undefined;
      if (a) allow(f, a);
      else if (!later.has(f) || keeper.keep(f)) result.findings.push(f);
    }
    for (const f of unusedAllows(
      src,
      used,
      LINT_RULES.map((r) => r.id),
    ))
      if (keeper.keep(f)) result.findings.push(f);
    for (const o of keeper.omitted()) result.omitted.push(o);
    for (const o of allowedKeeper.omitted()) result.allowedOmitted.push(o);
  }
  const fileIndex = new Map(sources.map((s, i) => [s.file, i]));
  result.findings.sort(
    (a, b) => get(fileIndex, present(a.file)) - get(fileIndex, present(b.file)) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
  return result;
}

/**
 * Run the rules over one pending file, feeding the model as they go: the
 * findings before allow directives, and the first line of each statement.
 Only the findings `keep` accepts are held, so a file where every
 * statement is reported does not hold a finding per statement.
 */
function lintFile(
  base: Omit<RuleContext, 'report' | 'reportAt'>,
  chunks: Iterable<ParsedStatement[]>,
  keep: (f: Finding, lines: readonly number[]) => boolean,
): { raw: Finding[]; lines: number[] } {
  const raw: Finding[] = [];
  const lines: number[] = [];
  const add = (f: Finding) => {
    if (keep(f, lines)) raw.push(f);
  };
  const rules = LINT_RULES;
  const ctx: RuleContext = {
    ...base,
    report(rule, s, r) {
      const at = r.at !== undefined && r.at >= s.byteOffset ? base.positions.at(r.at) : { line: s.line, column: s.column };
      add(finding(rule, base.src.file, at.line, at.column, r));
    },
    reportAt(rule, line, r) {
      add(finding(rule, base.src.file, line, 1, r));
    },
  };
  for (const rule of rules) rule.file?.(ctx);
  for (const chunk of chunks) {
    for (const s of chunk) {
      lines.push(s.line);
      for (const rule of rules) rule.statement?.(ctx, s);
      // With a database, what its (older) server's grammar lacks.
      if (base.serverMajor) for (const f of serverVersionFindings(s, base.serverMajor, base.src.file, base.positions)) add(f);
      base.model.apply(s, (target, cmd) => {
        for (const rule of rules) rule.alterCommand?.(ctx, s, target, cmd);
      });
    }
  }
  for (const rule of rules) rule.endFile?.(ctx);
  return { raw, lines };
}
