/**
 * The hover on a statement: its row of `plan`'s statement table (lock,
 * table, rows and size when a database is read, rewrites, scans) in plan's
 * own cells and notes, plan's warnings on it, then lint's diagnostics of the
 * statement with why and the fix, which the diagnostic's one line leaves out.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { MarkupKind, type Diagnostic, type Hover } from 'vscode-languageserver';
import type { StatementLockReport } from '../../../lambda/checks/locks/plan-locks';
import { markNotes, PLAN_COLUMNS, planRow, statementNotes } from '../commands/plan-locks';
import type { DiagnosticData } from './diagnostics';
import type { FilePlan } from './project';
import { spanAt, statementSpans, type StatementSpan } from './statements';

/** The hover at `offset` of `doc`, or undefined outside a statement. */
export function hoverAt(doc: TextDocument, offset: number, plan: FilePlan | undefined, diagnostics: readonly Diagnostic[]): Hover | undefined {
  const span = spanAt(statementSpans(doc.getText()), offset);
  if (!span) return undefined;
  const inside = (line: number, character: number) => {
    const at = doc.offsetAt({ line, character });
    return at >= span.start && at <= span.end;
  };
  const rows = plan ? rowsOf(doc, plan, span) : [];
  const said = diagnostics.filter((d) => inside(d.range.start.line, d.range.start.character));
  const parts = [...(plan ? planPart(plan, rows) : []), ...said.map(diagnosticPart)];
  if (parts.length === 0) return undefined;
  return {
    contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n---\n\n') },
    range: { start: doc.positionAt(span.start), end: doc.positionAt(span.end) },
  };
}

/** The plan rows of the statement: its own (one per table it locks), or the row that stands for a run of statements alike it. */
function rowsOf(doc: TextDocument, plan: FilePlan, span: StatementSpan): StatementLockReport[] {
  const line = doc.positionAt(span.start).line + 1;
  return plan.locks.statements.filter((s) => {
    if (s.alike) return s.line <= line && line <= (s.lastLine ?? s.line);
    const at = doc.offsetAt({ line: s.line - 1, character: s.column - 1 });
    return at >= span.start && at < span.end;
  });
}

function planPart(plan: FilePlan, rows: StatementLockReport[]): string[] {
  if (rows.length === 0) return [];
  const columns = PLAN_COLUMNS.filter((c) => c !== 'where' && c !== 'statement');
  const cells = rows.map((r) => planRow(r, plan.sized).slice(1, -1));
  const table = [`| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`, ...cells.map((c) => `| ${c.map(cell).join(' | ')} |`)];
  const notes = [...rows.flatMap(statementNotes), ...markNotes(rows)];
  const warnings = plan.locks.findings.filter((f) => rows.some((r) => r.line === f.line && r.column === f.column));
  const sizes = plan.sized
    ? plan.unread.length
      ? ['sizes of what was named since the last save are read when the file is saved']
      : []
    : ['no database, so no table sizes (as plan --offline)'];
  const lines = [...notes, ...warnings.map((w) => `${w.severity} ${w.rule}: ${w.message}`), ...sizes].map((line) => `- ${escapeMarkdown(line)}`);
  return [['**plan**', table.join('\n'), ...(lines.length ? [lines.join('\n')] : [])].join('\n\n')];
}

function diagnosticPart(d: Diagnostic): string {
  const data = (d.data ?? {}) as DiagnosticData;
  const head = `**${d.severity === 1 ? 'error' : 'warning'} ${d.code ?? ''}**: ${escapeMarkdown(typeof d.message === 'string' ? d.message : d.message.value)}`;
  return [head, ...(data.why ? [`why: ${escapeMarkdown(data.why)}`] : []), ...(data.fix ? [`fix:\n\n\`\`\`sql\n${data.fix}\n\`\`\``] : [])].join('\n\n');
}

/** A table cell: Markdown's own characters and the pipe shown as text. */
function cell(text: string): string {
  return text === '' ? ' ' : escapeMarkdown(text).replace(/\|/g, '\\|');
}

function escapeMarkdown(text: string): string {
  return text.replace(/([\\`*_[\]<>#])/g, '\\$1');
}
