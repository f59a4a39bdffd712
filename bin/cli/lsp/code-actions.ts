/**
 * A finding's fix as an edit the editor applies: each file of the fix text
 * (`placedFixFiles`) where its marker says. "In place of the statement"
 * replaces it; "this file, without the statement" removes it; "a later
 * migration" is a new file after the folder's newest, numbered as
 * `schemaguard new` numbers one; "a migration of its own" is the file
 * itself when the statement is all it holds, else a new file after this
 * one, with the statements that followed it in one more, so they still run
 * in their order. A fix that needs a new file where the folder's layout
 * (Prisma's, drizzle's) names its own files, or after a file that is not
 * the newest, is not offered: the diagnostic still shows it.
 */
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { CodeActionKind, type CodeAction, type Diagnostic, type TextDocumentEdit, type CreateFile, type TextEdit } from 'vscode-languageserver';
import { placedFixFiles, type FixPlace } from '../../../lambda/checks/lint/fix';
import { FILE_NAME_PATTERN } from '../../../lambda/engine/files/source';
import { nextMigrationFile } from '../commands/new';
import type { DiagnosticData } from './diagnostics';
import { spanAt, statementSpans, type StatementSpan } from './statements';
import { present } from '../../../lambda/engine/errors/present';

/** Where the file is in its folder, for the files a fix creates. */
export interface FixTarget {
  /** The document's absolute path. */
  path: string;
  /** The names of the folder's files. */
  files: readonly string[];
  /** New files can be written beside it: a flat folder, and it is its newest file. */
  canAddAfter: boolean;
}

/** A quick fix that applies `diagnostic`'s fix, or undefined when it has none the editor can apply. */
export function fixAction(doc: TextDocument, diagnostic: Diagnostic, target: FixTarget): CodeAction | undefined {
  const fix = (diagnostic.data as DiagnosticData | undefined)?.fix;
  const spans = statementSpans(doc.getText());
  const span = spanAt(spans, doc.offsetAt(diagnostic.range.start));
  if (!fix || !span) return undefined;
  const files = placedFixFiles(fix).map((f) => ({ place: f.place, text: withoutAlternative(f.text) }));
  const plan = editPlan(doc, spans, span, files, target);
  if (!plan) return undefined;
  const created = plan.created.map((c) => basename(c.path));
  return {
    title: `schemaguard: apply the fix of ${diagnostic.code}${created.length ? ` (writes ${created.join(', ')})` : ''}`,
    kind: CodeActionKind.QuickFix,
    diagnostics: [diagnostic],
    isPreferred: true,
    edit: { documentChanges: [{ textDocument: { uri: doc.uri, version: doc.version }, edits: plan.edits }, ...plan.created.flatMap(createWith)] },
  };
}

/** A fix's closing alternative (`-- or …` and what follows it) is advice to read, not a statement to write. */
function withoutAlternative(text: string): string {
  const lines = text.split('\n');
  const or = lines.findIndex((l) => /^-- or\b/.test(l));
  return (or < 0 ? lines : lines.slice(0, or)).join('\n').trim();
}

interface EditPlan {
  edits: TextEdit[];
  created: { path: string; text: string }[];
}

/** The edits of this file and the files to create, or undefined when a file would have to go where none can. */
function editPlan(
  doc: TextDocument,
  spans: readonly StatementSpan[],
  span: StatementSpan,
  files: { place: FixPlace; text: string }[],
  target: FixTarget,
): EditPlan | undefined {
  const alone = spans.length === 1;
  const creates = files.some((f) => f.place === 'later' || (f.place === 'own' && !alone));
  if (creates && !target.canAddAfter) return undefined;
  const text = doc.getText();
  const after = spans.filter((s) => s.start > span.start);
  const names = [...target.files];
  const created: { path: string; text: string }[] = [];
  const add = (suffix: string, body: string) => {
    const { file } = nextMigrationFile(names, suffixedName(target.path, suffix));
    names.push(file);
    created.push({ path: join(dirname(target.path), file), text: `${body}\n` });
  };
  let edit: TextEdit = { range: rangeOf(doc, span.start, span.end), newText: '' };
  for (const f of files) {
    if (f.place === 'instead') edit.newText = f.text;
    else if (f.place === 'own' && alone) edit = { range: rangeOf(doc, 0, text.length), newText: `${f.text}\n` };
    else if (f.place === 'own') {
      add('no_transaction', f.text);
      // The statements after it still run after it: in a file of their own, next.
      if (after.length) {
        add('rest', text.slice(after[0].start, present(after.at(-1)).end));
        edit = { range: rangeOf(doc, span.start, text.length), newText: '' };
      }
    } else if (f.place === 'later') add('later', f.text);
  }
  return { edits: [edit], created };
}

function rangeOf(doc: TextDocument, from: number, to: number) {
  return { start: doc.positionAt(from), end: doc.positionAt(to) };
}

/** `0002_add_index.sql` → `add_index_later`: a new file's name says which file's fix it is. */
function suffixedName(path: string, suffix: string): string {
  const name = FILE_NAME_PATTERN.exec(basename(path))?.[2] ?? 'fix';
  return `${name}_${suffix}`;
}

function createWith(c: { path: string; text: string }): (CreateFile | TextDocumentEdit)[] {
  const uri = pathToFileURL(c.path).href;
  return [
    { kind: 'create', uri, options: { overwrite: false, ignoreIfExists: false } },
    { textDocument: { uri, version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: c.text }] },
  ];
}
