/** README's tables, read as the tests that keep them in step with the code need them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli';

/** The body rows of the README table whose header row is `header`, each as its trimmed cells. */
export function readmeTableRows(header: string): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(header);
  if (at < 0) throw new Error(`README.md has no table with the header ${header}`);
  const lines = readme.slice(at).split('\n').slice(2);
  const body = lines.slice(0, lines.findIndex((l) => !l.startsWith('|')));
  return body.map((l) => l.replace(/^\|\s*|\s*\|$/g, '').split(' | ').map((c) => c.trim()));
}
