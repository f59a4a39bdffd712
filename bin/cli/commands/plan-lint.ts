/** The lint findings `plan` prints under its table: pending and changed migrations, with the applied ones as context. */
import type { Session } from '../../../lambda/engine/ports';
import { boundedCatalogRead } from '../../../lambda/schema/bounded-read';
import type { Plan } from '../../../lambda/engine/state/plan';
import type { Migration } from '../../../lambda/engine/files/source';
import {
  alteredTables,
  applyRuleLevels,
  LINT_RULE_IDS,
  lintMigrations,
  lintSourceOf,
  needsDependencies,
  readLintCatalog,
  unknownRules,
  type LintCatalog,
  type LintOptions,
  type LintResult,
  type LintSource,
} from '../../../lambda/checks/lint';
import { nearestWord } from '../../../lambda/engine/errors/nearest';
import { ConfigError } from '../../../lib/config/load';
import type { OptionsIn } from '../args';
import { DOCS_POINTERS } from '../../../lambda/engine/errors/docs-pointers';

/** What lint and the lock plan both read: every file (applied ones as context) and, with a database, its functions and domains. */
export interface PlanLintContext {
  sources: LintSource[];
  applied: Migration[];
  catalog?: LintCatalog;
  /** `plan --offline --server-version`: the server's major version, where no catalog says it. */
  serverMajor?: number;
}

/** With a session, functions' volatility, domains and dependencies come from the database (`readLintCatalog`), read once for lint and the lock plan. */
export async function planLintContext(migrations: Migration[], plan: Plan, session?: Session, onUnread?: (line: string) => void): Promise<PlanLintContext> {
  // A changed file (edited since it ran, or another migration at an applied version) is not the one that ran: linted as pending, as lint does.
  const pending = new Set([...plan.pending.map((m) => m.version), ...plan.changed.map((c) => c.version)]);
  const sources = migrations.map((m) => lintSourceOf(m, !pending.has(m.version)));
  // Bounded: its pg_get_constraintdef waits behind a migration's ACCESS EXCLUSIVE on a table until it commits.
  const catalog = session
    ? await boundedCatalogRead(session, 'the database catalog for plan', () =>
        readLintCatalog(session, { dependencies: needsDependencies(sources), tables: alteredTables(sources), onUnread }),
      )
    : undefined;
  return { sources, applied: migrations.filter((m) => !pending.has(m.version)), catalog };
}

export function lintPlan(opts: OptionsIn<'lintSettings'>, c: PlanLintContext): Promise<LintResult> {
  return lintWithProjectLevels(opts, c.sources, { catalog: c.catalog, serverMajor: c.serverMajor });
}

/** lint's findings with the project file's `lintRules` applied: lint and plan report the same. */
export async function lintWithProjectLevels(opts: OptionsIn<'lintSettings'>, sources: LintSource[], options: LintOptions): Promise<LintResult> {
  refuseUnknownRules(opts);
  return applyRuleLevels(await lintMigrations(sources, options), opts.lintRules, opts.configFile ?? 'the project file');
}

/** A rule id in `lintRules` that no rule has: refused as the file's bad value (exit 2), before anything is linted. */
export function refuseUnknownRules(opts: OptionsIn<'lintSettings'>): void {
  const [id] = unknownRules(opts.lintRules, LINT_RULE_IDS);
  if (id === undefined) return;
  const near = nearestWord(id, LINT_RULE_IDS);
  const file = opts.configFile ?? 'the project file';
  throw new ConfigError(file, `${file}: "lintRules": no lint rule is called "${id}"`, {
    key: 'lintRules',
    value: id,
    fix: `${near ? `did you mean "${near}"? ` : ''}the rules are ${LINT_RULE_IDS.join(', ')} (${DOCS_POINTERS.configuration})`,
  });
}
