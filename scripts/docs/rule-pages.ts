/** The rule reference: a page per lint rule and per doctor rule, from the rule modules themselves. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DOCTOR_RULES, type DoctorRule } from '../../lambda/checks/doctor';
import { LINT_RULES, type LintRule } from '../../lambda/checks/lint';
import { PACKAGE_ROOT } from '../../lib/paths';
import { block, code, page, partInclude, prose, table } from './markdown';

/** squawk's page of one of its rules. */
const squawkLink = (rule: string) => `[${code(rule)}](https://squawkhq.com/docs/${rule})`;

function lintExamples(rule: LintRule): string[] {
  const { existing, triggers, passes } = rule.examples;
  return [
    '## Example',
    existing ? `After an applied migration that made the table:\n\n${block('sql', existing)}` : '',
    `${existing ? 'a' : 'A'} pending migration like this is reported:\n\n${block('sql', triggers)}`,
    `and the same change written safely is not (nor by any other rule):\n\n${block('sql', passes)}`,
  ];
}

function lintPage(rule: LintRule, order: number): string {
  const file = `lambda/checks/lint/rules/${rule.id}.ts`;
  return page({
    title: rule.id,
    order,
    source: `\`${existsSync(join(PACKAGE_ROOT, file)) ? file : 'lambda/checks/lint/rules/'}\``,
    body: [
      `# ${rule.id}`,
      `Lint rule, **${rule.severity}**: ${prose(rule.title)}.`,
      `**Why:** ${prose(rule.why)}.`,
      `**Fix:** ${prose(rule.fix)}. Each finding prints the exact SQL.`,
      ...lintExamples(rule),
      partInclude('lint', rule.id),
      '## squawk',
      rule.squawk.length ? `The squawk rules that look for the same thing: ${rule.squawk.map(squawkLink).join(', ')}.` : 'No squawk rule looks for this.',
      '## Allowing it',
      `A line ${code(`-- schemaguard:allow ${rule.id} <reason>`)} just before the statement silences this rule for that statement; the finding is still listed as allowed, with the reason.`,
    ],
  });
}

function doctorExamples(rule: DoctorRule): string[] {
  if (!rule.examples) return [];
  return [
    '## Example',
    `On a database made like this (run as \`psql -f\` runs a file), doctor reports it:\n\n${block('sql', rule.examples.finds)}`,
    `and on this one it reports nothing:\n\n${block('sql', rule.examples.passes)}`,
  ];
}

function doctorPage(rule: DoctorRule, order: number): string {
  return page({
    title: rule.id,
    order,
    source: `\`lambda/checks/doctor/${rule.id}.ts\``,
    body: [
      `# ${rule.id}`,
      `Doctor rule, **${rule.severity}**: ${prose(rule.title)}.`,
      `**Why:** ${prose(rule.why)}.`,
      `**Fix:** ${prose(rule.fix)}. Each finding prints the statements for its object.`,
      ...doctorExamples(rule),
      partInclude('doctor', rule.id),
      '## squawk',
      rule.squawk
        ? `squawk lints migration files; the rule nearest to this one is ${squawkLink(rule.squawk)}.`
        : 'squawk lints migration files and reads no database: none of its rules finds this.',
    ],
  });
}

function indexPage(kind: 'lint' | 'doctor', rules: readonly { id: string; severity: string; title: string }[], intro: string[]): string {
  return page({
    title: kind === 'lint' ? 'Lint rules' : 'Doctor rules',
    source: kind === 'lint' ? '`LINT_RULES` in `lambda/checks/lint/index.ts`' : '`DOCTOR_RULES` in `lambda/checks/doctor/index.ts`',
    body: [
      `# ${kind === 'lint' ? 'Lint rules' : 'Doctor rules'}`,
      ...intro,
      table(
        ['rule', 'severity', 'what it finds'],
        rules.map((r) => [`[${code(r.id)}](./${r.id}.md)`, r.severity, prose(r.title)]),
      ),
    ],
  });
}

/** The lint and doctor pages, by path under docs/. */
export function rulePages(): Map<string, string> {
  const pages = new Map<string, string>();
  pages.set(
    'reference/lint/index.md',
    indexPage('lint', LINT_RULES, [
      "`schemaguard lint` (and `plan`) read the pending migrations with PostgreSQL's own parser and report, for each statement, what would hurt a live database. Errors exit 1; warnings do not. In the order the rules run:",
    ]),
  );
  for (const [k, r] of LINT_RULES.entries()) pages.set(`reference/lint/${r.id}.md`, lintPage(r, k + 1));
  pages.set(
    'reference/doctor/index.md',
    indexPage('doctor', DOCTOR_RULES, [
      '`schemaguard doctor` reads the catalog of a live database (any database, migrated by schemaguard or not) for the root causes of the incidents schemaguard exists for. It exits 1 on an error finding. In report order:',
    ]),
  );
  for (const [k, r] of DOCTOR_RULES.entries()) pages.set(`reference/doctor/${r.id}.md`, doctorPage(r, k + 1));
  return pages;
}
