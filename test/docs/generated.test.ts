/**
 * The reference pages under docs/reference are generated from the code's
 * registries (scripts/docs-generate.ts) and committed; this fails when a
 * registry changed and the pages were not generated again, so the reference
 * never disagrees with the code.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { committedPages, referencePages } from '../../scripts/docs-generate';
import { COMMANDS } from '../../bin/cli/registry';
import { DOCTOR_RULES } from '../../lambda/checks/doctor';
import { LINT_RULES } from '../../lambda/checks/lint';
import { ERROR_CATALOG } from '../../lib/alarms/error-catalog';

/** Synthesising the four stacks for the cdk-nag page takes a while on a busy machine. */
const GENERATE_MS = 120_000;

describe('docs/reference', () => {
  let fresh: Map<string, string>;
  let committed: Map<string, string>;
  beforeAll(() => {
    fresh = referencePages();
    committed = committedPages();
  }, GENERATE_MS);

  it('holds exactly the pages `npm run docs:generate` writes, each as it writes it (run it and commit docs/reference when this fails)', () => {
    expect([...committed.keys()].sort()).toEqual([...fresh.keys()].sort());
    const stale = [...fresh].filter(([path, text]) => committed.get(path) !== text).map(([path]) => path);
    expect(stale, 'stale pages: run npm run docs:generate').toEqual([]);
  });

  it('has a page for every command, lint rule, doctor rule and error class', () => {
    const paths = [...fresh.keys()];
    expect(paths).toEqual(
      expect.arrayContaining([
        ...COMMANDS.map((c) => `reference/cli/${c}.md`),
        ...LINT_RULES.map((r) => `reference/lint/${r.id}.md`),
        ...DOCTOR_RULES.map((r) => `reference/doctor/${r.id}.md`),
        ...ERROR_CATALOG.map((c) => `reference/alarms/${c.id}.md`),
      ]),
    );
  });

  it("shows each rule's why, fix and examples, and each class's runbook, as the code has them", () => {
    for (const r of LINT_RULES) {
      const text = fresh.get(`reference/lint/${r.id}.md`)!;
      expect(text).toContain(r.examples.triggers);
      expect(text).toContain(r.examples.passes);
    }
    for (const r of DOCTOR_RULES.filter((d) => d.examples)) expect(fresh.get(`reference/doctor/${r.id}.md`)).toContain(r.examples!.finds);
    for (const c of ERROR_CATALOG) expect(fresh.get(`reference/alarms/${c.id}.md`)).toContain(c.sqlstate);
  });
});
