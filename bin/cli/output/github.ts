/**
 * GitHub Actions workflow commands: one `::error` or `::warning` line per
 * finding, which the runner turns into an annotation on the file and line.
 * Values are escaped as the Actions toolkit escapes them (`%`, CR and LF in
 * the message; also `:` and `,` in properties).
 */
import { relative, resolve, sep } from 'node:path';
import type { Finding } from '../../../lambda/checks/finding';

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** A finding's file as the workflow sees it: relative to the working directory (the checkout), with `/`. */
export function repositoryPath(baseDir: string, file: string): string {
  return relative(process.cwd(), resolve(baseDir, file)).split(sep).join('/');
}

export function githubAnnotation(f: Finding, baseDir: string): string {
  const props: string[] = [];
  if (f.file) {
    props.push(`file=${escapeProperty(repositoryPath(baseDir, f.file))}`);
    if (f.line) props.push(`line=${f.line}`);
    if (f.line && f.column) props.push(`col=${f.column}`);
  }
  props.push(`title=${escapeProperty(`schemaguard ${f.rule}`)}`);
  const where = !f.file && f.object ? `${f.object}: ` : '';
  return `::${f.severity === 'error' ? 'error' : 'warning'} ${props.join(',')}::${escapeData(`${where}${f.message}\nWhy: ${f.why}\nFix: ${f.fix}`)}`;
}
