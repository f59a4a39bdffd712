/**
 * SARIF 2.1.0, as GitHub code scanning reads it: one run whose tool driver is
 * schemaguard (name, version, every rule of the command with its help text)
 * and one result per finding with its file, line and column. A finding with
 * no file (doctor's, about a database object) carries a logical location:
 * valid SARIF, but code scanning shows only results that have a file.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding } from '../../../lambda/checks/findings/finding';
import { VERSION } from '../args';
import { repositoryPath } from './github';
import { describeRules, type ReportingCommand, type SarifFinding, type SarifRule } from './rules';
import { get } from '../../../lambda/engine/errors/present';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

function pascal(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

function sentence(text: string): string {
  const t = text.trim();
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

function sarifRule(r: SarifRule): Record<string, unknown> {
  const help = [
    sentence(r.title),
    r.why ? `Why: ${sentence(r.why)}` : '',
    r.fix ? `Fix: ${sentence(r.fix)}` : 'Fix: each result names the exact statement that fixes it.',
  ]
    .filter(Boolean)
    .join('\n');
  return {
    id: r.id,
    name: pascal(r.id),
    shortDescription: { text: sentence(r.title) },
    fullDescription: { text: sentence(r.why ?? r.title) },
    help: { text: help, markdown: help.replace(/\n/g, '\n\n') },
    defaultConfiguration: { level: r.severity },
    properties: { tags: ['postgresql', 'schema'] },
  };
}

/** The artifact a finding is in: relative to the checkout when it is inside it, else an absolute file URI. */
function artifactLocation(baseDir: string, file: string): Record<string, unknown> {
  const path = repositoryPath(baseDir, file);
  if (path.startsWith('../') || isAbsolute(path)) return { uri: pathToFileURL(resolve(baseDir, file)).href };
  // A URI reference: each path segment percent-encoded (a `:` in a file name must not read as a scheme).
  return { uri: path.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function location(f: SarifFinding, baseDir: string): Record<string, unknown> {
  if (!f.file) return { logicalLocations: [{ fullyQualifiedName: f.object ?? f.rule }] };
  const region: Record<string, number> = { startLine: Math.max(1, f.line ?? 1) };
  if (f.column) region.startColumn = f.column;
  return { physicalLocation: { artifactLocation: artifactLocation(baseDir, f.file), region } };
}

/** A result's message: what, then the fix (a note with no fix: what alone). */
function resultMessage(f: SarifFinding): string {
  return f.fix ? sentence(`${f.message}. Fix: ${f.fix}`.replace(/\.\. Fix/, '. Fix')) : sentence(f.message);
}

/** `notes`: what the results leave out (findings counted, not given), as notifications of a successful invocation. */
export function sarifLog(
  command: ReportingCommand,
  findings: readonly SarifFinding[],
  baseDir: string,
  notes: readonly string[] = [],
): Record<string, unknown> {
  const rules = describeRules(command, findings);
  const index = new Map(rules.map((r, k) => [r.id, k]));
  const invocations = notes.length
    ? { invocations: [{ executionSuccessful: true, toolExecutionNotifications: notes.map((text) => ({ level: 'note', message: { text: sentence(text) } })) }] }
    : {};
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'schemaguard', version: VERSION, semanticVersion: VERSION, rules: rules.map(sarifRule) } },
        automationDetails: { id: `schemaguard/${command}/` },
        columnKind: 'unicodeCodePoints',
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: get(index, f.rule),
          level: f.severity,
          message: { text: resultMessage(f) },
          locations: [location(f, baseDir)],
        })),
        ...invocations,
      },
    ],
  };
}

/**
 * The log of a run that failed before it had findings (a file refused, no
 * connection): its one result is the error, at the file and line it names,
 * and the invocation says the run did not succeed, so a workflow that
 * uploads the file has one to upload.
 */
export function sarifErrorLog(
  command: ReportingCommand,
  error: { message: string; fix?: string; file?: string; line?: number; exitCode: number },
  baseDir: string,
): Record<string, unknown> {
  const finding: Finding = {
    rule: 'schemaguard-error',
    severity: 'error',
    message: `schemaguard ${command} could not run: ${error.message}`,
    why: '',
    fix: error.fix ?? 'see the message',
    ...(error.file ? { file: error.file, line: error.line ?? 1, column: 1 } : {}),
  };
  const log = sarifLog(command, [finding], baseDir) as { runs: Record<string, unknown>[] };
  log.runs[0].invocations = [
    { executionSuccessful: false, exitCode: error.exitCode, toolExecutionNotifications: [{ level: 'error', message: { text: sentence(error.message) } }] },
  ];
  return log;
}
