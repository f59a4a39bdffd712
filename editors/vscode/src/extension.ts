/**
 * schemaguard in VS Code: starts the project's own `schemaguard lsp --stdio`
 * (the version in its node_modules, so the editor says what the project's CI
 * says) with VS Code's Node.js, in the workspace folder, and talks to it
 * through vscode-languageclient. The settings give it a database URL (as
 * DATABASE_URL) and a project file (--config); a change of either restarts
 * the server.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ExtensionContext, window, workspace } from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

export async function activate(context: ExtensionContext): Promise<void> {
  context.subscriptions.push(
    workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('schemaguard')) return;
      await stop();
      await start();
    }),
  );
  await start();
}

export function deactivate(): Promise<void> {
  return stop();
}

async function start(): Promise<void> {
  const folder = workspace.workspaceFolders?.[0];
  if (!folder) return;
  const root = folder.uri.fsPath;
  const cli = projectCli(root);
  if (!cli) {
    void window.showWarningMessage(
      "schemaguard: this workspace has no schemaguard in node_modules (npm install --save-dev schemaguard); the editor runs the project's own, as its CI does.",
    );
    return;
  }
  const settings = workspace.getConfiguration('schemaguard', folder.uri);
  const databaseUrl = settings.get<string>('databaseUrl', '');
  const configFile = settings.get<string>('configFile', '');
  const env = { ...process.env, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) };
  // The client adds --stdio and --clientProcessId; the server reads the project file from the folder, as the CLI there would.
  const server = { module: cli, transport: TransportKind.stdio, args: ['lsp', ...(configFile ? ['--config', configFile] : [])], options: { cwd: root, env } };
  const serverOptions: ServerOptions = { run: server, debug: server };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'sql' }],
    // A migration written or removed on disk (a fix's new file, git checkout): the server reads the folder again.
    synchronize: { fileEvents: workspace.createFileSystemWatcher('**/*.sql') },
    outputChannelName: 'schemaguard',
  };
  client = new LanguageClient('schemaguard', 'schemaguard', serverOptions, clientOptions);
  await client.start();
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  await running?.stop();
}

/** The executable of the schemaguard the workspace installed (or of this repository, when the workspace is schemaguard itself). */
function projectCli(root: string): string | undefined {
  const own = join(root, 'package.json');
  if (existsSync(own) && (JSON.parse(readFileSync(own, 'utf8')) as { name?: string }).name === 'schemaguard') return join(root, 'bin', 'schemaguard.cjs');
  try {
    return join(dirname(require.resolve('schemaguard/package.json', { paths: [root] })), 'bin', 'schemaguard.cjs');
  } catch {
    return undefined;
  }
}
