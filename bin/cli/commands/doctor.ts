/** `schemaguard doctor`: schema problems on any live database, each with its fix. */
import { doctor } from '../../../lambda/checks/doctor';
import { countBySeverity, formatFinding } from '../../../lambda/checks/findings/finding';
import { printFindings } from '../output/findings';
import { connectTarget, type ContextOf } from './context';
import { plural } from '../../../lambda/engine/errors/words';

export async function doctorCommand(ctx: ContextOf<'doctor'>): Promise<number> {
  const { driver, where } = await connectTarget(ctx);
  try {
    const report = await doctor({ driver }, { stateSchema: ctx.opts.stateSchema });
    const counts = countBySeverity(report.findings);
    if (ctx.opts.format === 'json')
      ctx.out(JSON.stringify({ command: 'doctor', target: driver.target, ...counts, findings: report.findings, notes: report.notes }));
    else if (ctx.opts.format !== 'text') {
      printFindings(ctx, 'doctor', report.findings, { baseDir: '' });
      for (const n of report.notes) ctx.progress(`note: ${n}`);
    } else {
      ctx.out(`doctor ${driver.target}${where}`);
      for (const f of report.findings) ctx.out(formatFinding(f));
      // What was not checked, and why (tables not read in time, sequences the role may not read).
      for (const n of report.notes) ctx.out(`note: ${n}`);
      ctx.out(`doctor: ${plural(counts.errors, 'error')}, ${plural(counts.warnings, 'warning')}`);
    }
    return counts.errors ? 1 : 0;
  } finally {
    await driver.end();
  }
}
