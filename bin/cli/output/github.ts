/**
 * GitHub Actions workflow commands: one `::error` or `::warning` line per
 * finding, which the runner turns into an annotation on the file and line.
 * Values are escaped as the Actions toolkit escapes them (`%`, CR and LF in
 * the message; also `:` and `,` in properties).
 */
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Finding } from '../../../lambda/checks/findings/finding';

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * A finding's file as the workflow sees it: relative to the repository's
 * root, with `/`. The root is GITHUB_WORKSPACE (the checkout) when the file
 * is in it, else the nearest directory up from the working directory that
 * holds `.git`, else the working directory: a job that runs in a
 * subdirectory (`working-directory: db`) still names `db/migrations/…`.
 */
export function repositoryPath(baseDir: string, file: string, env: NodeJS.ProcessEnv = process.env): string {
  const path = resolve(baseDir, file);
  return relative(repositoryRoot(path, env), path).split(sep).join('/');
}

function repositoryRoot(path: string, env: NodeJS.ProcessEnv): string {
  const workspace = env.GITHUB_WORKSPACE ? resolve(env.GITHUB_WORKSPACE) : undefined;
  if (workspace && !relative(workspace, path).startsWith('..')) return workspace;
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return process.cwd();
  }
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

/**
 * A failed command's annotation: on its migration file and line when the
 * error names a file of `dir` (a contract's or the snapshot's path is not
 * made into one), else on the run.
 */
export function githubErrorAnnotation(command: string, error: { message: string; file?: string; line?: number; column?: number }, dir: string): string {
  const props: string[] = [];
  if (error.file && existsSync(resolve(dir, error.file))) {
    props.push(`file=${escapeProperty(repositoryPath(dir, error.file))}`);
    if (error.line) props.push(`line=${error.line}`);
    if (error.line && error.column) props.push(`col=${error.column}`);
  }
  props.push(`title=${escapeProperty(`schemaguard${command ? ` ${command}` : ''} failed`)}`);
  return `::error ${props.join(',')}::${escapeData(error.message)}`;
}
