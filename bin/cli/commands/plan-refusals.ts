/**
 * What `plan` says of the run migrate would make through this URL: every
 * refusal migrate would meet before it runs anything, in the order it meets
 * them (the state against the files, `state-refusals.ts`, then the engine's
 * list of checks through the URL, `run-refusals.ts`), and the notes it would
 * say and go on — under the table in text, in --json, as error annotations
 * in --format github and as results in --format sarif.
 */
import type { MigrationError } from '../../../lambda/engine/errors/errors';
import type { Plan } from '../../../lambda/engine/state/plan';
import type { Driver, Session } from '../../../lambda/engine/ports';
import { runRefusals, type RunCheck } from '../../../lambda/engine/server/run-refusals';
import { stateRefusals, type StateRefusalOptions } from '../../../lambda/engine/state/state-refusals';
import { escapeData, escapeProperty, repositoryPath } from '../output/github';
import { MIGRATE_REFUSAL_RULE, PLAN_NOTE_RULE, type SarifFinding } from '../output/rules';
import { present } from '../../../lambda/engine/errors/present';

/** One thing migrate would refuse, in its words (plan runs nothing either way), with its fix and, when it names one, the file. */
export interface Refusal {
  message: string;
  fix?: string;
  file?: string;
  line?: number;
}

/** What migrate would refuse through the URL, in its order, and what it would note. */
export interface RunOutlook {
  refusals: Refusal[];
  notes: string[];
}

const REFUSES = 'migrate through this URL will refuse to run';

/**
 * Reads, on plan's one session, what migrate would refuse and note before it
 * runs anything: first each changed, missing and out-of-order file (as
 * migrate without --allow-ahead and --out-of-order), then what the URL refuses.
 */
export async function runOutlook(
  driver: Pick<Driver, 'assertRunnable'>,
  session: Session,
  plan: Plan,
  files: StateRefusalOptions,
  checks: readonly RunCheck[] = [],
): Promise<RunOutlook> {
  const { refusals, notes } = await runRefusals({
    driver,
    reader: session,
    session: async () => session,
    pending: plan.pending,
    firstRun: plan.currentVersion === null,
    checks,
  });
  return { refusals: [...stateRefusals(plan, files, true), ...refusals].map(asRefusal), notes };
}

/** A refusal as plan (and lint) say it: without migrate's "nothing was run". */
export function asRefusal(e: MigrationError): Refusal {
  return { message: e.message.replace(/; nothing was run$/, ''), fix: e.fix, file: e.file, line: e.line };
}

/** Under the table in text: a warning per refusal (an error in lint, which fails on it), with its fix. */
export function refusalLines(refusals: readonly Refusal[], level: 'warning' | 'error' = 'warning'): string[] {
  return refusals.map((r) => `${level}: ${REFUSES}: ${r.message}${r.fix ? `\n  fix: ${r.fix}` : ''}`);
}

/**
 * --format github: each refusal an error (as in SARIF, and counted so in the
 * summary line) on its file when it names one, else on the run; each note a
 * notice on the run.
 */
export function runAnnotations(o: RunOutlook, baseDir: string, command: 'plan' | 'lint' = 'plan'): string[] {
  return [
    ...o.refusals.map(
      (r) => `::error ${refusalPlace(r, baseDir)}title=schemaguard ${command}::${escapeData(`${REFUSES}: ${r.message}${r.fix ? `\nFix: ${r.fix}` : ''}`)}`,
    ),
    ...o.notes.map((n) => `::notice title=schemaguard plan::${escapeData(n)}`),
  ];
}

/** `file=…,line=…,` of a refusal that names a file, or ''. */
function refusalPlace(r: Refusal, baseDir: string): string {
  return r.file ? `file=${escapeProperty(repositoryPath(baseDir, r.file))},line=${r.line ?? 1},` : '';
}

/** --format sarif: each refusal at level error, with its fix (at its file when it names one), and each note at level note. */
export function runResults(o: RunOutlook): SarifFinding[] {
  return [
    ...o.refusals.map(
      (r): SarifFinding => ({
        rule: MIGRATE_REFUSAL_RULE.id,
        severity: 'error',
        message: `${REFUSES}: ${r.message}`,
        why: present(MIGRATE_REFUSAL_RULE.why),
        fix: r.fix ?? '',
        ...(r.file ? { file: r.file, line: r.line ?? 1 } : {}),
      }),
    ),
    ...o.notes.map((n): SarifFinding => ({ rule: PLAN_NOTE_RULE.id, severity: 'note', message: n, why: '', fix: '' })),
  ];
}
