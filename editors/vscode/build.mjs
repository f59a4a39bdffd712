// Bundles the extension (src/extension.ts and vscode-languageclient) into
// dist/extension.js, the one file the .vsix carries besides its manifest,
// README and LICENSE (vsce packages it with --no-dependencies). The `vscode`
// module is VS Code's own. The repository's LICENSE is copied in: the
// extension is under the same one.
import { copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(here, 'src', 'extension.ts')],
  outfile: join(here, 'dist', 'extension.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['vscode'],
  minify: true,
  logLevel: 'warning',
});
copyFileSync(join(here, '..', '..', 'LICENSE'), join(here, 'LICENSE'));
