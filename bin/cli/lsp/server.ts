/**
 * The language server: the Language Server Protocol (`vscode-languageserver`)
 * over two streams, the editor's open migration files linted as they change
 * (project.ts: lint's engine, the files before as context, nothing read from
 * the database on a keystroke), a statement's plan row on hover, the fixes
 * as code actions. What the database says is read when the server starts and
 * when a file is saved or changes on disk. A request that fails is answered
 * with its error and logged; the server goes on.
 */
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
  CodeActionKind,
  createConnection,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type Hover,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { layoutOf } from '../../../lambda/engine/files/layout';
import { VERSION } from '../args';
import type { ContextOf } from '../commands/context';
import type { EmbeddedServer } from '../embedded';
import { fixAction } from './code-actions';
import { diagnosticsOf, SOURCE } from './diagnostics';
import { hoverAt } from './hover';
import { LspProject, type FilePlan } from './project';

/** Serves on `input` and `output` until the editor sends `exit` (the library then ends the process: 0 after `shutdown`, else 1). */
export function serve(ctx: ContextOf<'lsp'>, input: NodeJS.ReadableStream, output: NodeJS.WritableStream): void {
  // stdout is the protocol's: anything a library prints goes to stderr, which editors show as the server's log.
  for (const level of ['log', 'info', 'debug', 'warn', 'error'] as const) console[level] = (...args: unknown[]) => ctx.err(format(...args));
  const embedded = new EmbeddedUsers();
  const project = new LspProject({ ...ctx, onEmbedded: (e) => embedded.add(e) });
  const connection = createConnection(input, output);
  new Server(ctx, connection, project, embedded).listen();
}

class Server {
  private readonly documents = new TextDocuments(TextDocument);
  /** The diagnostics last published, by URI and for the version they were made from. */
  private readonly published = new Map<string, { version: number; diagnostics: Diagnostic[] }>();
  private readonly plans = new Map<string, { version: number; plan: Promise<FilePlan | undefined> }>();
  private readonly queue = new Set<string>();
  private draining = false;
  private ready: Promise<void> = Promise.resolve();
  private canCreateFiles = false;

  constructor(
    private readonly ctx: ContextOf<'lsp'>,
    private readonly connection: Connection,
    private readonly project: LspProject,
    private readonly embedded: EmbeddedUsers,
  ) {}

  listen(): void {
    const c = this.connection;
    c.onInitialize((params): InitializeResult => {
      const edit = params.capabilities.workspace?.workspaceEdit;
      this.canCreateFiles = !!edit?.documentChanges && !!edit.resourceOperations?.includes('create');
      return {
        capabilities: {
          textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
          hoverProvider: true,
          codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        },
        serverInfo: { name: 'schemaguard', version: VERSION },
      };
    });
    c.onInitialized(() => this.refresh());
    c.onShutdown(() => this.embedded.release());
    c.onHover((p) => this.guard('hover', () => this.hover(p.textDocument.uri, p.position), null));
    c.onCodeAction((p) => this.guard('codeAction', () => this.codeActions(p.textDocument.uri, p.context.diagnostics), []));
    c.onDidChangeWatchedFiles(() => this.refresh());
    this.documents.onDidChangeContent((e) => this.lint(e.document.uri));
    this.documents.onDidSave(() => this.refresh());
    this.documents.onDidClose((e) => {
      this.published.delete(e.document.uri);
      this.plans.delete(e.document.uri);
      void c.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    });
    this.documents.listen(c);
    c.listen();
  }

  /** Reads the folder and the database again, then lints every open file. */
  private refresh(): void {
    this.ready = this.ready.then(async () => {
      await this.project.refresh((path) => this.textOf(path));
      this.embedded.keepFirst();
      this.plans.clear();
      const line = this.project.scopeLine;
      if (line) this.connection.console.info(this.ctx.redactor.redact(`lint: ${line}`));
    });
    this.ready.catch((e) => this.log('refresh', e));
    for (const doc of this.documents.all()) this.lint(doc.uri);
  }

  /** Lints `uri` once the edits that came with it are in (a burst of changes is linted once, at its last version). */
  private lint(uri: string): void {
    this.queue.add(uri);
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    try {
      await this.ready.catch(() => undefined);
      while (this.queue.size) {
        const [uri] = this.queue;
        this.queue.delete(uri);
        await this.guard('lint', () => this.publish(uri), undefined);
      }
    } finally {
      this.draining = false;
    }
  }

  private async publish(uri: string): Promise<void> {
    const doc = this.documents.get(uri);
    const path = doc && pathOf(uri);
    if (!doc || !path) return;
    const lint = await this.project.lintFile(path, doc.getText());
    if (!lint) return;
    const diagnostics = diagnosticsOf(doc, this.project.entryOf(path)?.file ?? '', lint).map((d) => ({
      ...d,
      message: this.ctx.redactor.redact(d.message as string),
    }));
    // A newer version is on its way (queued): this one's diagnostics would be stale.
    if (this.documents.get(uri)?.version !== doc.version) return;
    this.published.set(uri, { version: doc.version, diagnostics });
    await this.connection.sendDiagnostics({ uri, version: doc.version, diagnostics });
  }

  private async hover(uri: string, position: { line: number; character: number }): Promise<Hover | null> {
    const doc = this.documents.get(uri);
    const path = doc && pathOf(uri);
    if (!doc || !path) return null;
    await this.ready.catch(() => undefined);
    const cached = this.plans.get(uri);
    const plan = cached?.version === doc.version ? cached.plan : this.project.planFile(path, doc.getText());
    this.plans.set(uri, { version: doc.version, plan });
    const published = this.published.get(uri);
    const diagnostics = published?.version === doc.version ? published.diagnostics : [];
    return hoverAt(doc, doc.offsetAt(position), await plan, diagnostics) ?? null;
  }

  private codeActions(uri: string, diagnostics: readonly Diagnostic[]): CodeAction[] {
    const doc = this.documents.get(uri);
    const path = doc && pathOf(uri);
    const entry = path && this.project.entryOf(path);
    if (!doc || !path || !entry) return [];
    const files = this.project.fileNames();
    const newest = files.length > 0 && this.project.newest()?.file === entry.file;
    const target = { path, files, canAddAfter: this.canCreateFiles && newest && layoutOf(this.ctx.opts.dir, this.ctx.opts.layout) === 'flat' };
    return diagnostics.filter((d) => d.source === SOURCE).flatMap((d) => fixAction(doc, d, target) ?? []);
  }

  private textOf(path: string): string | undefined {
    return this.documents
      .all()
      .find((d) => pathOf(d.uri) === path)
      ?.getText();
  }

  /** `work`'s answer; when it throws, the error logged and `fallback` answered: one bad request never ends the server. */
  private async guard<T>(what: string, work: () => T | Promise<T>, fallback: T): Promise<T> {
    try {
      return await work();
    } catch (e) {
      this.log(what, e);
      return fallback;
    }
  }

  private log(what: string, e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.connection.console.error(this.ctx.redactor.redact(`${what}: ${message}`));
  }
}

/** The file a `file:` URI names; undefined for any other scheme (an unsaved buffer, a diff view). */
function pathOf(uri: string): string | undefined {
  return uri.startsWith('file:') ? fileURLToPath(uri) : undefined;
}

/**
 * The embedded server's registrations this process made (lint's database
 * when it has data): the first is kept while the editor runs, so the server
 * keeps running between saves; each later one is given back after its read.
 */
class EmbeddedUsers {
  private first: EmbeddedServer | undefined;
  private later: EmbeddedServer[] = [];

  add(e: EmbeddedServer): void {
    if (this.first) this.later.push(e);
    else this.first = e;
  }

  keepFirst(): void {
    for (const e of this.later.splice(0)) void e.release().catch(() => undefined);
  }

  async release(): Promise<void> {
    this.keepFirst();
    await this.first?.release().catch(() => undefined);
    this.first = undefined;
  }
}
