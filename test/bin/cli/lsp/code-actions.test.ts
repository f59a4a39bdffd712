/**
 * A finding's fix as the editor's edit (bin/cli/lsp/code-actions.ts), on
 * the fixes lint itself prints: each file of the fix where its marker says,
 * new files numbered as `schemaguard new` numbers them, and no action where
 * a file would have to go where none can.
 */
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { Diagnostic, TextDocumentEdit, TextEdit } from 'vscode-languageserver';
import { describe, expect, it } from 'vitest';
import { fixAction, type FixTarget } from '../../../../bin/cli/lsp/code-actions';
import { applyEdits } from '../../../support/lsp-client';
import { lint } from '../../../lambda/checks/lint/pending';

/** The diagnostic of lint's first finding of `rule` on `text` (linted as 2_pending.sql after two existing tables), as the server sends it. */
async function diagnosticOf(text: string, rule: string): Promise<Diagnostic> {
  const f = (await lint(text)).findings.find((x) => x.rule === rule)!;
  expect(f, rule).toBeDefined();
  const at = { line: f.line! - 1, character: f.column! - 1 };
  return { range: { start: at, end: at }, code: f.rule, message: f.message, source: 'schemaguard', data: { why: f.why, fix: f.fix } };
}

const target = (files: string[] = ['0001_base.sql', '0002_pending.sql'], canAddAfter = true): FixTarget => ({
  path: '/project/migrations/0002_pending.sql',
  files,
  canAddAfter,
});

function actionOn(text: string, d: Diagnostic, t = target()) {
  const doc = TextDocument.create('file:///project/migrations/0002_pending.sql', 'sql', 3, text);
  const action = fixAction(doc, d, t);
  const changes = (action?.edit?.documentChanges ?? []) as (TextDocumentEdit | { kind: string; uri: string })[];
  const own = changes[0] as TextDocumentEdit | undefined;
  const created = changes.filter((c): c is TextDocumentEdit => 'edits' in c && c.textDocument.version === null);
  return {
    action,
    text: own ? applyEdits(text, own.edits as never) : text,
    created: Object.fromEntries(created.map((c) => [c.textDocument.uri.split('/').at(-1)!, (c.edits[0] as TextEdit).newText])),
  };
}

describe('Function: fixAction', () => {
  it('replaces the statement where the fix is one in its place, and writes the later file after the newest, padded like it', async () => {
    const text = 'ALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK (score > 0);\nSELECT 1;\n';
    const { action, text: edited, created } = actionOn(text, await diagnosticOf(text, 'constraint-not-valid'));
    expect(action!.title).toBe('schemaguard: apply the fix of constraint-not-valid (writes 0003_pending_later.sql)');
    expect(edited).toMatch(/^ALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK \(score > 0\) NOT VALID;.*\nSELECT 1;\n$/);
    expect(created).toEqual({ '0003_pending_later.sql': expect.stringMatching(/^ALTER TABLE leads VALIDATE CONSTRAINT leads_score_positive;/) });
    // The edit names the version it was made from: an editor refuses it on a newer text.
    expect((action!.edit!.documentChanges![0] as TextDocumentEdit).textDocument.version).toBe(3);
  });

  it('makes the file itself the no-transaction migration when the statement is all it holds', async () => {
    const text = 'CREATE INDEX leads_name ON leads (name);\n';
    const { text: edited, created } = actionOn(text, await diagnosticOf(text, 'index-not-concurrent'), target(undefined, false));
    expect(edited).toMatch(/^-- schemaguard:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS leads_name ON leads \(name\);/);
    expect(created).toEqual({});
  });

  it('takes the statement, and those after it, out of a file that holds more, into new files in their order', async () => {
    const text = 'SELECT 1;\nCREATE INDEX leads_name ON leads (name);\nSELECT 2;\n';
    const { text: edited, created } = actionOn(text, await diagnosticOf(text, 'index-not-concurrent'));
    expect(edited).toBe('SELECT 1;\n');
    expect(Object.keys(created)).toEqual(['0003_pending_no_transaction.sql', '0004_pending_rest.sql']);
    expect(created['0004_pending_rest.sql']).toBe('SELECT 2;\n');
  });

  it('offers nothing where a new file cannot go after this one (not the newest, or a layout that names its own files)', async () => {
    const text = 'SELECT 1;\nCREATE INDEX leads_name ON leads (name);\n';
    const d = await diagnosticOf(text, 'index-not-concurrent');
    expect(actionOn(text, d, target(['0001_base.sql', '0002_pending.sql', '0003_next.sql'], false)).action).toBeUndefined();
  });

  it("leaves out a fix's closing alternative (-- or …): advice, not statements", async () => {
    const text =
      'ALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK (score > 0) NOT VALID;\nALTER TABLE leads VALIDATE CONSTRAINT leads_score_positive;\n';
    const d = await diagnosticOf(text, 'validate-in-same-transaction');
    expect((d.data as { fix: string }).fix).toContain('-- or: make this file no-transaction');
    const { text: edited, created } = actionOn(text, d);
    expect(edited).toBe('ALTER TABLE leads ADD CONSTRAINT leads_score_positive CHECK (score > 0) NOT VALID;\n\n');
    expect(created).toEqual({ '0003_pending_later.sql': 'ALTER TABLE leads VALIDATE CONSTRAINT leads_score_positive;\n' });
  });
});
