/**
 * Findings a rule holds until the end of the file, because a later statement
 * of the same transaction can make them harmless: a name given up and taken
 * again before COMMIT (a swap: `RENAME COLUMN id TO id_old`, then
 * `RENAME COLUMN id_new TO id`; or a view under a table's old name) is never
 * missing for the code that names it. What then holds the name is the
 * author's to judge. In a no-transaction file each statement commits on its
 * own, so nothing is held there.
 */
import type { RuleContext } from './rule';

export class HeldFindings {
  private readonly held = new WeakMap<RuleContext, Map<string, () => void>>();

  /** Report now (no-transaction file), or at the end of the file unless `name` is taken again before then. */
  hold(ctx: RuleContext, name: string, report: () => void): void {
    if (ctx.src.noTransaction) return report();
    let names = this.held.get(ctx);
    if (!names) this.held.set(ctx, (names = new Map()));
    names.set(name, report);
  }

  /** `name` is taken again: what was held for it is not reported. Whether something was held. */
  retaken(ctx: RuleContext, name: string): boolean {
    return this.held.get(ctx)?.delete(name) ?? false;
  }

  /** The end of the file: report what is still held. */
  flush(ctx: RuleContext): void {
    for (const report of this.held.get(ctx)?.values() ?? []) report();
    this.held.delete(ctx);
  }
}
