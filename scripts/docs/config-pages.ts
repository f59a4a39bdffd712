/**
 * The project file's reference: one row per key of the settings registry
 * (lib/config/settings.ts), with the flag and the construct prop it fills.
 * The JSON Schema shipped as schemaguard.schema.json comes from the same
 * registry (lib/config/reference.ts); docs-generate.ts writes both.
 */
import { CONFIG_FILE_NAME } from '../../lib/config/load';
import { SETTINGS } from '../../lib/config/settings';
import { code, page, prose, table } from './markdown';

// Descriptions are Markdown as written (their code spans hold `_` and `<…>`, which prose would escape).

/** Where the page is, under docs/ (the CLI pages and the configuration guide link to it). */
export const CONFIG_REFERENCE_PAGE = 'reference/more/configuration.md';

function configPage(): string {
  const rows = SETTINGS.map((s) => [
    code(s.key),
    s.description,
    /^["{]/.test(s.defaultText) ? code(s.defaultText) : prose(s.defaultText),
    s.flag ? `[${code(s.flag)}](../cli/index.md)` : '—',
    s.prop ? code(s.prop) : '—',
    code(JSON.stringify(s.example)),
  ]);
  const notes = SETTINGS.filter((s) => 'note' in s && s.note).map((s) => `- ${code(s.key)}: ${prose((s as { note: string }).note)}`);
  return page({
    title: `${CONFIG_FILE_NAME} keys`,
    order: 0,
    source: '`SETTINGS` in `lib/config/settings.ts`',
    body: [
      `# ${CONFIG_FILE_NAME} keys`,
      `Every key the project file takes. Paths are relative to the file's folder. A flag on the command line, or a prop given to the construct, wins over the file. The same list makes \`schemaguard.schema.json\` (the JSON Schema an editor completes the file from) and decides which flags the file can set. Guide: [Configuration](../../guide/configuration.md).`,
      table(['key', 'what it sets', 'default', 'flag', 'construct prop', 'example'], rows),
      notes.join('\n'),
    ],
  });
}

/** The configuration page, by path under docs/. */
export function configPages(): Map<string, string> {
  return new Map([[CONFIG_REFERENCE_PAGE, configPage()]]);
}
