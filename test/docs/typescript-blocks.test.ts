/**
 * Every TypeScript block of README.md, CONTRIBUTING.md and the docs site is
 * a complete program that compiles against the package's own types: the
 * `schemaguard` and `schemaguard/engine` imports resolve to the entry points'
 * sources (lib/index.ts, lambda/api.ts), everything else as the repository
 * resolves it, with the project's strict settings. A reader who copies a
 * block gets code that compiles. (The README's CDK quick start is also
 * synthesised from the packed tarball: test/package/consumer.test.ts.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../lib/paths';
import { codeBlocks, type CodeBlock } from '../support/markdown';

type Block = CodeBlock;

/** The Markdown files a reader reads: README, CONTRIBUTING and the site's hand-written pages (typedoc's are from TSDoc). */
function markdownFiles(): string[] {
  const docs = join(PACKAGE_ROOT, 'docs');
  const pages = readdirSync(docs, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.md'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !/[\\/]docs[\\/](api|\.vitepress)[\\/]/.test(f));
  return [join(PACKAGE_ROOT, 'README.md'), join(PACKAGE_ROOT, 'CONTRIBUTING.md'), ...pages].sort();
}

/** Compiler diagnostics of each block, each block a module of its own beside the package's sources. */
function compile(blocks: Block[]): string[] {
  const config = ts.readConfigFile(join(PACKAGE_ROOT, 'tsconfig.json'), ts.sys.readFile).config;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, PACKAGE_ROOT);
  const settings: ts.CompilerOptions = {
    ...options,
    noEmit: true,
    moduleDetection: ts.ModuleDetectionKind.Force,
    paths: { schemaguard: ['lib/index.ts'], 'schemaguard/engine': ['lambda/api.ts'] },
    baseUrl: PACKAGE_ROOT,
  };
  // Virtual files in the repository's root, so that aws-cdk-lib and constructs resolve from its node_modules.
  const files = new Map(blocks.map((b, k) => [join(PACKAGE_ROOT, `docs-block-${k}.ts`), b]));
  const host = ts.createCompilerHost(settings);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists.call(host, f);
  host.readFile = (f) => files.get(f)?.code ?? readFile.call(host, f);
  host.getSourceFile = (f, lang, ...rest) =>
    files.has(f) ? ts.createSourceFile(f, files.get(f)!.code, lang, true) : getSourceFile.call(host, f, lang, ...rest);
  const program = ts.createProgram([...files.keys()], settings, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && files.has(d.file.fileName))
    .map((d) => {
      const block = files.get(d.file!.fileName)!;
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return `${block.source}:${block.line + 1 + line}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

/** One program for every block: the aws-cdk-lib types are read once (about 22 s of CPU; minutes at a load average of 30). */
const COMPILE_MS = 300_000;

describe('the TypeScript blocks of README.md and docs/', () => {
  let blocks: Block[];
  let problems: string[];
  beforeAll(() => {
    blocks = markdownFiles().flatMap((f) => codeBlocks(readFileSync(f, 'utf8'), relative(PACKAGE_ROOT, f), ['ts', 'typescript']));
    problems = compile(blocks);
  }, COMPILE_MS);

  it("compile against the package's types, each as a program of its own", () => {
    expect(problems).toEqual([]);
  });

  it("include the README's CDK quick start and the guides' examples", () => {
    expect(blocks.filter((b) => b.source === 'README.md')).toHaveLength(1);
    expect(blocks.filter((b) => b.source.startsWith('docs/guide/')).length).toBeGreaterThanOrEqual(8);
  });
});

describe('Function: codeBlocks', () => {
  it('finds ts and typescript fences, indented ones in lists too, and nothing else', () => {
    const text = 'a\n```ts\nconst a = 1;\n```\n```sh\nls\n```\n1. x\n   ```typescript\n   const b = 2;\n   ```\n';
    expect(codeBlocks(text, 'x.md', ['ts', 'typescript'])).toEqual([
      { source: 'x.md', line: 2, code: 'const a = 1;' },
      { source: 'x.md', line: 9, code: 'const b = 2;' },
    ]);
  });
});
