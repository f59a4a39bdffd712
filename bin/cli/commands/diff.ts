/** `schemaguard diff`: the live schema against the snapshot of what the migrations produce; exit 1 on drift (comment changes alone: reported, exit 0). */
import { existsSync, readFileSync } from 'node:fs';
import { detectDrift, failingDrift, formatDrift, isForeignHistory, SNAPSHOT_FORMAT, staleSnapshot, type Snapshot } from '../../../lambda/checks/drift/drift';
import { InputError } from '../../../lambda/engine/errors/errors';
import { loadMigrations } from '../../../lambda/engine/files/source';
import { readApplied } from '../../../lambda/engine/state/state';
import { driftFindings } from '../../../lambda/checks/drift/report-findings';
import { printFindings } from '../output/findings';
import { connectTarget, type ContextOf } from './context';
import { noun, oneOrMany, plural } from '../../../lambda/engine/errors/words';

export function readSnapshot(file: string): Snapshot {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new InputError(`${file}: cannot read the schema snapshot (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      file,
      value: file,
      cause,
      fix: 'run schemaguard snapshot (it migrates a fresh database and writes the snapshot), or pass --snapshot FILE',
    });
  }
  let snapshot: Snapshot;
  try {
    snapshot = JSON.parse(text) as Snapshot;
  } catch (cause) {
    throw new InputError(`${file}: not valid JSON (${(cause as Error).message})`, { file, cause, fix: 'regenerate it with schemaguard snapshot' });
  }
  if (snapshot?.format !== SNAPSHOT_FORMAT || !snapshot.catalog) {
    throw new InputError(`${file}: not a schemaguard snapshot of format ${SNAPSHOT_FORMAT}`, {
      file,
      value: String(snapshot?.format),
      fix: 'regenerate it with schemaguard snapshot',
    });
  }
  return snapshot;
}

export async function diffCommand(ctx: ContextOf<'diff'>): Promise<number> {
  const { opts } = ctx;
  const snapshot = readSnapshot(opts.snapshot);
  const notes: string[] = [];
  if (existsSync(opts.dir)) {
    for (const s of staleSnapshot(snapshot, loadMigrations(opts.dir, { layout: opts.layout })))
      notes.push(`snapshot is stale: ${s} (run schemaguard snapshot)`);
  }
  const { driver, where } = await connectTarget(ctx);
  try {
    const session = await driver.connect();
    try {
      const applied = new Set((await readApplied(session, opts.stateSchema)).map((a) => a.version));
      const pending = snapshot.migrations.filter((m) => !applied.has(m.version));
      if (pending.length)
        notes.push(
          `${plural(pending.length, 'migration')} ${oneOrMany(pending.length, 'is', 'are')} not applied here (${pending.map((m) => m.file).join(', ')}): run migrate first, the differences include them`,
        );
      const report = await detectDrift({ session, snapshot, stateSchema: opts.stateSchema });
      const others = report.ignored.filter((d) => d.kind === 'schema').map((d) => d.name);
      const histories = report.ignored.filter(isForeignHistory).map((d) => d.name);
      if (histories.length)
        notes.push(`another tool's history, not compared: ${histories.join(', ')} (kept from before schemaguard; drop it once nothing reads it)`);
      notes.push(...report.notes);
      if (others.length)
        notes.push(
          `${noun(others.length, 'schema')} not in the snapshot, not compared: ${others.join(', ')} (made outside the migrations; guard reports ${oneOrMany(others.length, 'it', 'them')} as a ticket)`,
        );
      const failing = failingDrift(report).length;
      if (opts.format === 'json') {
        ctx.out(JSON.stringify({ command: 'diff', target: driver.target, drift: report.differences.length > 0, failing: failing > 0, ...report, notes }));
      } else if (opts.format !== 'text') {
        for (const n of notes) ctx.progress(`note: ${n}`);
        printFindings(ctx, 'diff', driftFindings(report, opts.snapshot), { baseDir: '' });
      } else {
        ctx.out(`diff ${driver.target}${where} against ${opts.snapshot} (schemas ${report.schemas.join(', ')})`);
        for (const n of notes) ctx.out(`note: ${n}`);
        if (report.differences.length) ctx.out(formatDrift(report));
        ctx.out(report.differences.length ? driftLine(report.differences.length, failing) : 'no drift: the live schema is what the migrations produce');
      }
      return failing ? 1 : 0;
    } finally {
      await session.close();
    }
  } finally {
    await driver.end();
  }
}

/** The summary line: how many differences, and how many of them are comment changes that do not fail. */
function driftLine(total: number, failing: number): string {
  const comments = total - failing;
  const note = !comments
    ? ''
    : failing
      ? ` (${comments} of them comment changes: reported, not failing)`
      : ' (comment changes only: reported, not failing, exit 0)';
  return `drift: ${plural(total, 'difference')}${note}`;
}
