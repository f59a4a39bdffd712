/**
 * A real LSP client over stdio (vscode-languageserver-protocol's node
 * connection) for `schemaguard lsp --stdio`, run as an editor runs it: the
 * executable in a child process, in the project's folder. It collects what
 * the server publishes and logs, opens, changes and saves files, and applies
 * a code action's workspace edit to the disk.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type Diagnostic,
  type Hover,
  type ProtocolConnection,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { CLI } from './cli';

export interface LspClient {
  connection: ProtocolConnection;
  child: ChildProcess;
  /** window/logMessage lines, in order. */
  logs: { type: number; message: string }[];
  stderr(): string;
  uri(path: string): string;
  /** didOpen with the file's text on disk (or `text`); the diagnostics published for that version. */
  open(path: string, text?: string): Promise<Diagnostic[]>;
  /** didChange with the whole new text; the diagnostics published for that version. */
  change(path: string, text: string): Promise<Diagnostic[]>;
  /** Writes `text` to disk, sends it as a change, then didSave: the diagnostics published once the server read the folder and the database again. */
  save(path: string, text: string): Promise<Diagnostic[]>;
  hover(path: string, line: number, character: number): Promise<Hover | null>;
  codeActions(path: string, diagnostics: Diagnostic[]): Promise<CodeAction[]>;
  /** shutdown, exit; the process's exit code. */
  close(): Promise<number | null>;
}

export async function startLsp(options: { cwd: string; env?: NodeJS.ProcessEnv; args?: string[] }): Promise<LspClient> {
  const env = { ...process.env, ...options.env };
  if (options.env && 'DATABASE_URL' in options.env && options.env.DATABASE_URL === undefined) delete env.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, 'lsp', '--stdio', ...(options.args ?? [])], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const logs: LspClient['logs'] = [];
  const waiting = new Map<string, { version: number; resolve: (d: Diagnostic[]) => void }[]>();
  connection.onNotification('window/logMessage', (p: { type: number; message: string }) => {
    logs.push(p);
  });
  connection.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: Diagnostic[] }) => {
    const list = waiting.get(p.uri) ?? [];
    for (const w of list.filter((w) => p.version === undefined || p.version >= w.version)) w.resolve(p.diagnostics);
    waiting.set(
      p.uri,
      list.filter((w) => !(p.version === undefined || p.version >= w.version)),
    );
  });
  connection.listen();
  await connection.sendRequest('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(options.cwd).href,
    capabilities: { workspace: { workspaceEdit: { documentChanges: true, resourceOperations: ['create'] } } },
  });
  await connection.sendNotification('initialized', {});
  const versions = new Map<string, number>();
  const uri = (path: string) => pathToFileURL(path).href;
  const published = (path: string, version: number) =>
    new Promise<Diagnostic[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no diagnostics for ${path} v${version} in 60 s\n${stderr}`)), 60_000);
      waiting.set(uri(path), [
        ...(waiting.get(uri(path)) ?? []),
        {
          version,
          resolve: (d) => {
            clearTimeout(timer);
            resolve(d);
          },
        },
      ]);
    });
  const next = (path: string) => {
    const v = (versions.get(path) ?? 0) + 1;
    versions.set(path, v);
    return v;
  };
  const client: LspClient = {
    connection,
    child,
    logs,
    stderr: () => stderr,
    uri,
    async open(path, text) {
      const version = next(path);
      const diagnostics = published(path, version);
      await connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri: uri(path), languageId: 'sql', version, text: text ?? readFileSync(path, 'utf8') },
      });
      return diagnostics;
    },
    async change(path, text) {
      const version = next(path);
      const diagnostics = published(path, version);
      await connection.sendNotification('textDocument/didChange', { textDocument: { uri: uri(path), version }, contentChanges: [{ text }] });
      return diagnostics;
    },
    async save(path, text) {
      writeFileSync(path, text);
      await client.change(path, text);
      // The diagnostics published after the server read the folder and the database again.
      const diagnostics = published(path, versions.get(path)!);
      await connection.sendNotification('textDocument/didSave', { textDocument: { uri: uri(path) } });
      return diagnostics;
    },
    hover: (path, line, character) => connection.sendRequest('textDocument/hover', { textDocument: { uri: uri(path) }, position: { line, character } }),
    codeActions: (path, diagnostics) =>
      connection.sendRequest('textDocument/codeAction', {
        textDocument: { uri: uri(path) },
        range: diagnostics[0]!.range,
        context: { diagnostics },
      }),
    async close() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
      const code = await exited;
      connection.dispose();
      return code;
    },
  };
  return client;
}

/** Applies a workspace edit (text edits and created files) to the files on disk, as the editor would. */
export function applyWorkspaceEdit(edit: WorkspaceEdit): void {
  for (const change of edit.documentChanges ?? []) {
    if ('kind' in change) {
      if (change.kind !== 'create') throw new Error(`unexpected resource operation ${change.kind}`);
      const path = fileURLToPath(change.uri);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, '', { flag: 'wx' });
      continue;
    }
    const path = fileURLToPath(change.textDocument.uri);
    writeFileSync(path, applyEdits(readFileSync(path, 'utf8'), change.edits as TextEdit[]));
  }
}

/** `text` with `edits` applied (from the last to the first, so that earlier positions hold). */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
  return [...edits]
    .sort((a, b) => offset(b.range.start) - offset(a.range.start))
    .reduce((t, e) => t.slice(0, offset(e.range.start)) + e.newText + t.slice(offset(e.range.end)), text);
}
