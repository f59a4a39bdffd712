/**
 * The alarm reference: a page per error class (what the alarm means, the
 * fix, how to find the statement, what the metric filter matches), the
 * scheduled guard's alarms, and what the guard reports.
 */
import { guardRules, type GuardRule } from '../../lambda/checks/guard/rules';
import { metricsOf, type GuardFinding } from '../../lambda/checks/guard/report';
import {
  alarmDescriptionFor,
  ERROR_CATALOG,
  filterPatternFor,
  insightsQueryFor,
  METRIC_NAMESPACE_PREFIX,
  QUIET_MINUTES,
  savedQueryNameFor,
  type ErrorClass,
} from '../../lib/alarms/error-catalog';
import { GUARD_ALARMS } from '../../lib/alarms/guard-catalog';
import { DEPLOY_ALARMS, type DeployAlarmSpec } from '../../lib/alarms/deploy-catalog';
import { GUARD_NAMESPACE, GUARD_ROLE_PREFIX } from '../../lambda/handler/constants';
import { block, code, page, prose, table } from './markdown';

/** The saved queries' folder as DatabaseAlarms names it by default (`schemaguard/<identifier>`), with a placeholder identifier. */
const FOLDER = 'schemaguard/IDENTIFIER';

const alarmName = (severity: string, id: string) => code(`PREFIX-${severity}-${id}`);

function classFacts(cls: ErrorClass): string {
  return [
    `- **Severity:** ${cls.severity}`,
    `- **SQLSTATE:** ${code(cls.sqlstate)}`,
    `- **Metric:** ${code(cls.metricName)} in ${code(`${METRIC_NAMESPACE_PREFIX}/IDENTIFIER`)}`,
    `- **Alarm** (with \`alarmNamePrefix\`): ${alarmName(cls.severity, cls.id)}`,
    `- **An ERROR line of it contains:** ${cls.fragments.map(code).join(' … ')}`,
  ].join('\n');
}

/** What the class's page says of a class logged only after another error (25P02): it pages through a composite alarm. */
function heldPage(cls: ErrorClass): string[] {
  if (!cls.followsAnotherError) return [];
  return [
    '## One incident, one page',
    `This error is logged only after another error of the same transaction. It pages through the composite alarm ${code(`PREFIX-page-${cls.id}-alone`)}, whose actions are suppressed while another paging class's alarm of the database is in ALARM; its own alarm has no actions and its description starts with \`[STATE]\`. To silence it, disable the composite's actions.`,
  ];
}

function classPage(cls: ErrorClass, order: number): string {
  return page({
    title: cls.title,
    order,
    source: '`ERROR_CATALOG` in `lib/alarms/error-catalog.ts`',
    body: [
      `# ${cls.title}`,
      classFacts(cls),
      `## What it means\n\n${prose(cls.runbook.meaning)}`,
      `## Fix\n\n${prose(cls.runbook.fix)}`,
      ...heldPage(cls),
      '## Finding the statement',
      `Logs Insights, saved queries: ${code(savedQueryNameFor(cls, FOLDER))} on the PostgreSQL log group. Its text:`,
      block('text', insightsQueryFor(cls)),
      '## What the log says',
      `A real message of this class, as PostgreSQL writes it on the \`ERROR:\` line: ${code(cls.example)}. The metric filter counts each such line once (the lines of the guard's roles, ${code(`${GUARD_ROLE_PREFIX}*`)}, are left out):`,
      block('text', filterPatternFor(cls, ERROR_CATALOG, [`${GUARD_ROLE_PREFIX}*`])),
      "## The alarm's description",
      `What the alarm carries into the page (with the default query folder; it clears after ${QUIET_MINUTES} quiet minutes):`,
      block('text', alarmDescriptionFor(cls, FOLDER)),
    ],
  });
}

function indexPage(): string {
  return page({
    title: 'Alarms and runbooks',
    source: '`lib/alarms/error-catalog.ts`, `lib/alarms/guard-catalog.ts` and `lib/alarms/deploy-catalog.ts`',
    body: [
      '# Alarms and runbooks',
      `\`DatabaseAlarms\` counts the ERROR lines of the PostgreSQL log by class and alarms on each: Sum over 1 minute ≥ 1, OK again after ${QUIET_MINUTES} minutes without one. A page goes to the paging topic, a ticket to the ticket topic. In the names below, PREFIX is the construct's \`alarmNamePrefix\` and IDENTIFIER the instance or cluster identifier.`,
      table(
        ['class', 'SQLSTATE', 'metric', 'severity', 'ERROR line contains'],
        ERROR_CATALOG.map((c) => [`[${prose(c.title)}](./${c.id}.md)`, code(c.sqlstate), code(c.metricName), c.severity, c.fragments.map(code).join(' … ')]),
      ),
      `With \`migrationFunctions\`, one more alarm pages when a migration Lambda reports errors: ${alarmName('page', 'migration-errors')}.`,
      "The scheduled guard has alarms of its own: [the guard's alarms](./guard-alarms.md).",
      ...deployAlarmSections('fleetRollout', "a fleet's rollout, [the fleet guide](../../guide/fleet.md)"),
      ...deployAlarmSections('backfillWorkflow', 'a migration with a backfill, [the backfills guide](../../guide/backfills.md)'),
    ],
  });
}

/** The deploy alarms a DatabaseAlarms prop adds (DEPLOY_ALARMS): a table of them, then each one's runbook. */
function deployAlarmSections(prop: DeployAlarmSpec['prop'], what: string): string[] {
  const alarms = DEPLOY_ALARMS.filter((a) => a.prop === prop);
  return [
    `With \`${prop}\` (${what}), ${alarms.length === 1 ? 'one more' : `${alarms.length} more`}:`,
    table(
      ['alarm (with `alarmNamePrefix`)', 'severity', 'on'],
      alarms.map((a) => [alarmName(a.severity, a.id), a.severity, prose(a.metric)]),
    ),
    ...alarms.flatMap((a) => [
      `## ${a.title}`,
      `**Meaning:** ${prose(a.runbook.meaning)}`,
      `**Find:** ${prose(a.runbook.find)}`,
      `**Fix:** ${prose(a.runbook.fix)}`,
      `**Over:** ${prose(a.over)}`,
    ]),
  ];
}

function guardAlarmsPage(): string {
  const rows = GUARD_ALARMS.map((a) => [
    code(a.metricName),
    alarmName(a.severity, a.id),
    a.severity,
    a.runs === 1 ? 'one run ≥ 1' : 'two runs in a row ≥ 1',
    a.missingData === 'ignore' ? 'ignored (keeps its state)' : 'breaching',
  ]);
  return page({
    title: "The guard's alarms",
    order: 100,
    source: '`GUARD_ALARMS` in `lib/alarms/guard-catalog.ts`',
    body: [
      "# The guard's alarms",
      `The scheduled guard publishes one value per run of each metric, in the namespace ${code(GUARD_NAMESPACE)}, and \`SchemaGuard\` alarms on each (Maximum per schedule interval).`,
      table(['metric', 'alarm (with `alarmNamePrefix`)', 'severity', 'fires when', 'missing data'], rows),
      ...GUARD_ALARMS.flatMap((a) => [
        `## ${a.title}`,
        `**${a.severity}**, metric ${code(a.metricName)}.`,
        `**Meaning:** ${prose(a.runbook.meaning)}`,
        `**Fix:** ${prose(a.runbook.fix)}`,
      ]),
    ],
  });
}

/** The metric a finding of `rule` with `severity` counts in. */
function metricOf(rule: GuardRule, severity: GuardRule['severity']): string {
  const finding: GuardFinding = { kind: rule.kind, rule: rule.id, severity, object: 'x', message: '', why: '', fix: '' };
  return Object.entries(metricsOf([finding])).find(([, n]) => n > 0)![0];
}

function guardFindingsPage(): string {
  const other = (s: GuardRule['severity']) => (s === 'page' ? 'ticket' : 'page');
  const rows = guardRules().map((r) => {
    const metrics = [metricOf(r, r.severity), ...(r.exception ? [metricOf(r, other(r.severity))] : [])];
    return [code(r.id), r.kind, `${r.severity}${r.exception ? `; ${prose(r.exception)}` : ''}`, [...new Set(metrics)].map(code).join(', '), prose(r.title)];
  });
  return page({
    title: 'What the guard reports',
    source: '`guardRules()` in `lambda/checks/guard/rules.ts` and `metricsOf` in `lambda/checks/guard/report.ts`',
    body: [
      '# What the guard reports',
      '**Page**: the application is failing now, or will on its next request. **Ticket**: wrong, but nothing the application sends fails because of it.',
      table(['rule', 'from', 'severity', 'counted in', 'what it finds'], rows),
    ],
  });
}

/** The alarm pages, by path under docs/. */
export function alarmPages(): Map<string, string> {
  const pages = new Map<string, string>([
    ['reference/alarms/index.md', indexPage()],
    ['reference/alarms/guard-alarms.md', guardAlarmsPage()],
  ]);
  for (const [k, c] of ERROR_CATALOG.entries()) pages.set(`reference/alarms/${c.id}.md`, classPage(c, k + 1));
  pages.set('reference/more/guard-findings.md', guardFindingsPage());
  return pages;
}
