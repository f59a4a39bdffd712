/**
 * unused-allow: an allow directive that silences nothing (the next statement
 * has no finding of its rule), or names a rule that does not exist. Checked
 * after the other rules ran on the file (`../allow.ts`).
 */
import { sqlComment } from '../../../engine/sql/sql-quote';
import type { Allowance } from '../../../engine/files/source';
import { inPlace, renderFix } from '../fix';
import type { LintRule, Report } from '../rule';

export const UNUSED_ALLOW: LintRule = {
  id: 'unused-allow',
  severity: 'warning',
  title: 'an allow directive that silences nothing (or names an unknown rule)',
  why: 'a stale allow hides the next real finding of that rule once the code around it changes',
  fix: 'remove the directive, or move it to the line just before the statement it is for',
  squawk: [],
  examples: {
    triggers: '-- schemaguard:allow index-not-concurrent the table is small\nCREATE TABLE t (id int);',
    passes: '-- schemaguard:allow index-not-concurrent leads has 40 rows\nCREATE INDEX leads_name ON leads (name);',
  },
};

/** The finding for an allow that silenced nothing; `known`: the ids an allow may name. */
export function unusedAllow(a: Allowance, known: readonly string[]): Report {
  const isKnown = known.includes(a.rule);
  return {
    message: isKnown ? `allow ${a.rule} silences nothing: the next statement has no ${a.rule} finding` : `allow names an unknown rule "${a.rule}"`,
    fix: renderFix([
      inPlace(
        isKnown
          ? sqlComment(`delete line ${a.line} (the allow directive), or move it to the line just before the statement it is for`)
          : sqlComment(`name one of: ${known.join(', ')}`),
      ),
    ]),
  };
}
