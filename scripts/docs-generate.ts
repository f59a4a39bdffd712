/**
 * Writes the reference pages of the docs site (docs/reference/) from the
 * code's own registries: the CLI's commands and flags, the lint and doctor
 * rules, the alarm catalogs, the lock forms, the cdk-nag acknowledgements,
 * the project file's keys (and its JSON Schema, schemaguard.schema.json).
 * `npm run docs:generate`; test/docs/generated.test.ts (and
 * test/lib/config/reference.test.ts for the schema) fails when the
 * committed files differ from what this writes. Pages no longer generated
 * are removed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configSchemaText } from '../lib/config/reference';
import { PACKAGE_ROOT } from '../lib/paths';
import { alarmPages } from './docs/alarm-pages';
import { cliPages } from './docs/cli-pages';
import { configPages } from './docs/config-pages';
import { morePages } from './docs/more-pages';
import { rulePages } from './docs/rule-pages';

/** Where the generated pages live: everything under it is generated. */
export const REFERENCE_DIR = join(PACKAGE_ROOT, 'docs', 'reference');

/** Every generated page, by its path under docs/. */
export function referencePages(): Map<string, string> {
  return new Map([...cliPages(), ...configPages(), ...rulePages(), ...alarmPages(), ...morePages()]);
}

/** The pages now under docs/reference, by path under docs/. */
export function committedPages(): Map<string, string> {
  const docs = dirname(REFERENCE_DIR);
  const files = readdirSync(REFERENCE_DIR, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  return new Map(
    files.map((e) => {
      const file = join(e.parentPath, e.name);
      return [relative(docs, file).split('\\').join('/'), readFileSync(file, 'utf8')];
    }),
  );
}

function write(): void {
  const pages = referencePages();
  rmSync(REFERENCE_DIR, { recursive: true, force: true });
  for (const [path, text] of pages) {
    const file = join(dirname(REFERENCE_DIR), path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  writeFileSync(join(PACKAGE_ROOT, 'schemaguard.schema.json'), configSchemaText());
  console.log(`docs:generate: wrote ${pages.size} pages under ${relative(process.cwd(), REFERENCE_DIR) || '.'}, and schemaguard.schema.json`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) write();
