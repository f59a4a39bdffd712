/**
 * What `plan` says of the run migrate would make through this URL: every
 * refusal migrate would meet before it runs anything, in the order it meets
 * them (the engine's one list, `run-refusals.ts`), and the notes it would
 * say and go on — under the table in text, in --json, as annotations on the
 * run in --format github and as results in --format sarif.
 */
import type { MigrationError } from '../../../lambda/engine/errors';
import type { Plan } from '../../../lambda/engine/plan';
import type { Driver, Session } from '../../../lambda/engine/ports';
import { runRefusals } from '../../../lambda/engine/run-refusals';
import { escapeData } from '../output/github';
import { MIGRATE_REFUSAL_RULE, PLAN_NOTE_RULE, type SarifFinding } from '../output/rules';

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

/** Reads, on plan's one session, what migrate would refuse and note before it runs anything. */
export async function runOutlook(driver: Pick<Driver, 'assertRunnable'>, session: Session, plan: Plan): Promise<RunOutlook> {
  const { refusals, notes } = await runRefusals({
    driver, reader: session, session: async () => session, pending: plan.pending, firstRun: plan.currentVersion === null,
  });
  return { refusals: refusals.map(asRefusal), notes };
}

function asRefusal(e: MigrationError): Refusal {
  return { message: e.message.replace(/; nothing was run$/, ''), fix: e.fix, file: e.file, line: e.line };
}

/** Under the table in text: a warning per refusal, with its fix. */
export function refusalLines(refusals: readonly Refusal[]): string[] {
  return refusals.map((r) => `warning: ${REFUSES}: ${r.message}${r.fix ? `\n  fix: ${r.fix}` : ''}`);
}

/** --format github: each refusal (a warning) and note (a notice) as a workflow command on the run, with no file. */
export function runAnnotations(o: RunOutlook): string[] {
  return [
    ...o.refusals.map((r) => `::warning title=schemaguard plan::${escapeData(`${REFUSES}: ${r.message}${r.fix ? `\nFix: ${r.fix}` : ''}`)}`),
    ...o.notes.map((n) => `::notice title=schemaguard plan::${escapeData(n)}`),
  ];
}

/** --format sarif: each refusal at level error, with its fix (at its file when it names one), and each note at level note. */
export function runResults(o: RunOutlook): SarifFinding[] {
  return [
    ...o.refusals.map((r): SarifFinding => ({
      rule: MIGRATE_REFUSAL_RULE.id, severity: 'error', message: `${REFUSES}: ${r.message}`, why: MIGRATE_REFUSAL_RULE.why!, fix: r.fix ?? '',
      ...(r.file ? { file: r.file, line: r.line ?? 1 } : {}),
    })),
    ...o.notes.map((n): SarifFinding => ({ rule: PLAN_NOTE_RULE.id, severity: 'note', message: n, why: '', fix: '' })),
  ];
}
