/**
 * `npx tsx scripts/editor-picture.ts`: the editor guide's picture
 * (docs/guide/editor-lsp.svg), drawn from what the language server really
 * answers. A project in a temporary folder is migrated on the embedded
 * PostgreSQL (its first file fills a table), a risky second migration is
 * opened through a real LSP client (`schemaguard lsp --stdio`), and the
 * picture shows the file with the diagnostics published for it, squiggled
 * where they stand, and the hover on its CREATE INDEX, as an editor lays
 * them out. No screenshot of VS Code: its text is the server's, verbatim.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Diagnostic } from 'vscode-languageserver-protocol/node';
import { runCli, ROOT } from '../test/support/cli';
import { startLsp } from '../test/support/lsp-client';

const OUT = join(ROOT, 'docs', 'guide', 'editor-lsp.svg');
const INIT = [
  'CREATE TABLE leads (id bigint PRIMARY KEY, name text);',
  'CREATE TABLE purchases (id bigint PRIMARY KEY, lead_id bigint);',
  'INSERT INTO purchases SELECT g, g % 1000 FROM generate_series(1, 250000) AS g;',
  'ANALYZE purchases;',
  '',
].join('\n');
const RISKY = [
  '-- the purchases of a lead, found fast',
  'CREATE INDEX purchases_lead ON purchases (lead_id);',
  'ALTER TABLE purchases ADD CONSTRAINT purchases_lead_fk',
  '  FOREIGN KEY (lead_id) REFERENCES leads (id);',
  '',
].join('\n');
const HOVER_LINE = 1;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'schemaguard-editor-picture-'));
  // As root, the embedded server's OS user (postgres) must enter the folder (the CLI says so, and changes nothing).
  chmodSync(root, 0o711);
  try {
    mkdirSync(join(root, 'migrations'));
    writeFileSync(join(root, 'migrations', '0001_init.sql'), INIT);
    const env = { DATABASE_URL: undefined };
    const migrated = await runCli(['migrate', '--quiet'], { cwd: root, env, timeoutMs: 300_000 });
    if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
    const file = join(root, 'migrations', '0002_add_lead_index.sql');
    writeFileSync(file, RISKY);
    const lsp = await startLsp({ cwd: root, env });
    try {
      const diagnostics = await lsp.open(file);
      const hover = await lsp.hover(file, HOVER_LINE, 4);
      const text = (hover?.contents as { value: string } | undefined)?.value;
      if (!text) throw new Error('no hover');
      writeFileSync(OUT, picture(RISKY.trimEnd().split('\n'), diagnostics, plainLines(text)));
      process.stdout.write(`wrote ${OUT}\n`);
    } finally {
      await lsp.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The hover's Markdown as an editor shows it: tables aligned, emphasis and escapes gone, code fences dropped. */
function plainLines(markdown: string): string[] {
  const lines = markdown
    .split('\n')
    .filter((l) => !/^```/.test(l) && !/^\|(?:-+\|)+$/.test(l) && l !== '---')
    .map((l) => l.replace(/\*\*/g, '').replace(/\\(.)/g, '$1'));
  const rows = lines
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  const widths = rows[0]?.map((_, k) => Math.max(...rows.map((r) => r[k]?.length ?? 0))) ?? [];
  const out: string[] = [];
  for (const l of lines) {
    if (l.startsWith('|')) {
      const cells = l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim());
      out.push(cells.map((c, k) => c.padEnd(widths[k]!)).join('  '));
    } else if (!(l === '' && out.at(-1) === '')) out.push(l);
  }
  return out.flatMap((l) => wrap(l, 96));
}

function wrap(line: string, width: number): string[] {
  if (line.length <= width) return [line];
  const cut = line.lastIndexOf(' ', width);
  const at = cut > 20 ? cut : width;
  return [line.slice(0, at), ...wrap(`  ${line.slice(at).trimStart()}`, width)];
}

const CHAR = 7.8;
const LINE = 19;
const LEFT = 56;

function picture(code: string[], diagnostics: Diagnostic[], hover: string[]): string {
  const codeTop = 48;
  const hoverTop = codeTop + (HOVER_LINE + 1) * LINE;
  const hoverHeight = hover.length * 17 + 16;
  const problemsTop = Math.max(codeTop + code.length * LINE + 12, hoverTop + hoverHeight + 16);
  const width = 1160;
  const height = problemsTop + 26 + diagnostics.length * 20 + 12;
  const text = (x: number, y: number, s: string, fill = '#d4d4d4', extra = '') =>
    `<text x="${x}" y="${y}" fill="${fill}"${extra} xml:space="preserve">${esc(s)}</text>`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#1e1e1e"/>`,
    `<rect width="${width}" height="30" fill="#323233"/>`,
    text(16, 20, 'migrations/0002_add_lead_index.sql — schemaguard lsp', '#cccccc'),
    ...code.map((l, k) => text(14, codeTop + k * LINE, String(k + 1).padStart(3), '#858585') + text(LEFT, codeTop + k * LINE, l)),
    ...diagnostics.flatMap((d) => squiggles(d, code, codeTop)),
    `<rect x="${LEFT - 8}" y="${hoverTop - 14}" width="${width - LEFT - 16}" height="${hoverHeight}" fill="#252526" stroke="#454545"/>`,
    ...hover.map((l, k) => text(LEFT, hoverTop + 4 + k * 17, l, k === 0 ? '#ffffff' : '#cccccc', k === 0 ? ' font-weight="bold"' : '')),
    `<rect y="${problemsTop}" width="${width}" height="${height - problemsTop}" fill="#181818"/>`,
    text(16, problemsTop + 18, 'PROBLEMS', '#cccccc', ' font-size="11"'),
    ...diagnostics.map((d, k) =>
      text(
        16,
        problemsTop + 38 + k * 20,
        `${d.severity === 1 ? '⊗' : '⚠'} ${d.message}  schemaguard(${d.code}) [Ln ${d.range.start.line + 1}, Col ${d.range.start.character + 1}]`,
        d.severity === 1 ? '#f48771' : '#cca700',
      ),
    ),
    '</svg>',
    '',
  ];
  return parts.join('\n');
}

/** A wavy underline under each line of the diagnostic's range. */
function squiggles(d: Diagnostic, code: string[], top: number): string[] {
  const color = d.severity === 1 ? '#f14c4c' : '#cca700';
  const out: string[] = [];
  for (let line = d.range.start.line; line <= d.range.end.line; line++) {
    const from = line === d.range.start.line ? d.range.start.character : (/^\s*/.exec(code[line] ?? '')?.[0].length ?? 0);
    const to = line === d.range.end.line ? d.range.end.character : (code[line]?.length ?? 0);
    const y = top + line * LINE + 4;
    let path = `M${LEFT + from * CHAR} ${y}`;
    for (let x = LEFT + from * CHAR, k = 0; x < LEFT + to * CHAR; x += 3, k++) path += ` L${x + 3} ${k % 2 ? y : y + 2}`;
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="1"/>`);
  }
  return out;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

main().catch((e) => {
  process.stderr.write(`editor-picture: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
