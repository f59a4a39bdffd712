/**
 * Lint's word on a file as the editor's diagnostics: each finding with its
 * rule id (`code`), severity, place and message as `lint --json` gives them,
 * running from that place to the end of its statement; migrate's refusals
 * of the file as errors; and an input error lint stops at (PostgreSQL's
 * parser refusing the file, a bad directive, another file of the folder) as
 * one error, with the error's message less the place it names; so is a
 * database that could not be read (lint would exit with that error).
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { DiagnosticSeverity, type Diagnostic, type Position } from 'vscode-languageserver';
import type { MigrationError } from '../../../lambda/engine/errors/errors';
import type { Finding } from '../../../lambda/checks/findings/finding';
import { MIGRATE_REFUSAL_RULE } from '../output/rules';
import type { Refusal } from '../commands/plan-refusals';
import type { FileLint } from './project';
import { spanAt, statementSpans, type StatementSpan } from './statements';

/** Tells the editor where a diagnostic came from. */
export const SOURCE = 'schemaguard';

/** What a diagnostic carries for its hover and its code action. */
export interface DiagnosticData {
  why?: string;
  fix?: string;
}

/** The diagnostics of `doc` (named `file` in its folder) from what lint says of it. */
export function diagnosticsOf(doc: TextDocument, file: string, lint: FileLint): Diagnostic[] {
  const spans = statementSpans(doc.getText());
  if ('problems' in lint) return lint.problems.map((e) => problemDiagnostic(doc, spans, file, e));
  return [...lint.findings.map((f) => findingDiagnostic(doc, spans, f)), ...lint.refusals.map((r) => refusalDiagnostic(doc, spans, r))];
}

function findingDiagnostic(doc: TextDocument, spans: readonly StatementSpan[], f: Finding): Diagnostic {
  const data: DiagnosticData = { why: f.why, fix: f.fix };
  return {
    range: rangeFrom(doc, spans, f.line ?? 1, f.column ?? 1),
    severity: f.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    code: f.rule,
    source: SOURCE,
    message: f.message,
    data,
  };
}

function refusalDiagnostic(doc: TextDocument, spans: readonly StatementSpan[], r: Refusal): Diagnostic {
  const data: DiagnosticData = { ...(r.fix ? { fix: r.fix } : {}) };
  return {
    range: rangeFrom(doc, spans, r.line ?? 1, 1),
    severity: DiagnosticSeverity.Error,
    code: MIGRATE_REFUSAL_RULE.id,
    source: SOURCE,
    message: r.message,
    data,
  };
}

/** An input error: at its place in this file, else on the first line (another file's, or the folder's), naming where it is. */
function problemDiagnostic(doc: TextDocument, spans: readonly StatementSpan[], file: string, e: MigrationError): Diagnostic {
  const own = e.file === file;
  const data: DiagnosticData = { ...(e.fix ? { fix: e.fix } : {}) };
  return {
    range: own && e.line ? rangeFrom(doc, spans, e.line, e.column ?? 1) : rangeFrom(doc, spans, 1, 1),
    severity: DiagnosticSeverity.Error,
    code: e.name,
    source: SOURCE,
    message: own ? withoutPlace(e.message, file) : e.message,
    data,
  };
}

/** `file:line:column: message` → `message`: the diagnostic stands at that place already. */
function withoutPlace(message: string, file: string): string {
  return message.startsWith(`${file}:`) ? message.slice(file.length).replace(/^(?::\d+){0,2}: /, '') : message;
}

/** From lint's 1-based line and column to the end of the statement there, or of the line where no statement is (a directive). */
function rangeFrom(doc: TextDocument, spans: readonly StatementSpan[], line: number, column: number): { start: Position; end: Position } {
  const start = { line: line - 1, character: column - 1 };
  const span = spanAt(spans, doc.offsetAt(start));
  return { start, end: span ? doc.positionAt(span.end) : lineEnd(doc, start.line) };
}

/** The end of `line`, before its line break (the editor's offsetAt stops there). */
function lineEnd(doc: TextDocument, line: number): Position {
  return doc.positionAt(doc.offsetAt({ line, character: Number.MAX_SAFE_INTEGER }));
}
