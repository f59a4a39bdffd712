/**
 * `schemaguard lsp --stdio`: the language server for editors (../lsp/), on
 * stdin and stdout, until the editor ends it. It reads the project file, the
 * migrations and the database as `lint` does, and writes nothing.
 */
import type { ContextOf } from './context';

export async function lspCommand(ctx: ContextOf<'lsp'>): Promise<number> {
  const { serve } = await import('../lsp/server');
  if (process.stdin.isTTY)
    ctx.err('schemaguard lsp: a language server, speaking the Language Server Protocol on stdin and stdout: an editor starts it (docs: guide/editor)');
  serve(ctx, process.stdin, process.stdout);
  // The protocol's `exit` ends the process (0 after `shutdown`, else 1), and so does the editor closing stdin.
  return new Promise<number>(() => undefined);
}
