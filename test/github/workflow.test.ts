/**
 * The GitHub Actions workflow: the steps a user relies on are there, each
 * schemaguard command line in it parses, and its lint step, run here as
 * written, writes valid SARIF.
 */
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseArgs } from '../../bin/cli/args';
import { ROOT, CLI } from '../support/cli';
import { tempDir } from '../support/files';
import { sarifSchemaErrors } from '../support/sarif';

interface Step {
  name?: string;
  id?: string;
  run?: string;
  uses?: string;
  if?: string;
  with?: Record<string, unknown>;
  'continue-on-error'?: boolean;
}
const workflow = parse(readFileSync(join(ROOT, '.github/workflows/schemaguard.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: { schema: { steps: Step[] } };
};
const steps = workflow.jobs.schema.steps;
const schemaguardLines = steps.flatMap((s) => (s.run ?? '').split('\n')).filter((l) => l.trim().startsWith('npx schemaguard'));

describe('GitHub workflow: .github/workflows/schemaguard.yml', () => {
  it('runs on pull requests and may upload to code scanning', () => {
    expect(Object.keys(workflow.on)).toContain('pull_request');
    expect(workflow.permissions['security-events']).toBe('write');
  });

  it('lints, migrates the embedded PostgreSQL, checks the contracts, uploads both SARIF reports even after a failure, then fails', () => {
    const ids = steps.map((s) => s.run ?? s.uses ?? '');
    const at = (text: string) => ids.findIndex((x) => x.includes(text));
    expect(at('schemaguard lint ${BASE:+--since "$BASE"} --format sarif')).toBeGreaterThan(at('npm ci'));
    expect(at('schemaguard migrate')).toBeGreaterThan(at('schemaguard lint'));
    expect(at('schemaguard check --format sarif')).toBeGreaterThan(at('schemaguard migrate'));
    const uploads = steps.filter((s) => s.uses?.startsWith('github/codeql-action/upload-sarif'));
    expect(uploads.map((u) => u.with?.sarif_file)).toEqual(['schemaguard-lint.sarif', 'schemaguard-check.sarif']);
    for (const u of uploads) expect(u.if).toContain('always()');
    expect(steps.at(-1)!.if).toBe("steps.lint.outcome == 'failure' || steps.check.outcome == 'failure'");
  });

  it('every schemaguard command line in it parses', () => {
    expect(schemaguardLines.length).toBeGreaterThanOrEqual(4);
    for (const line of schemaguardLines) {
      // The lint step's --since, as the shell expands it on a pull request.
      const argv = line
        .replace(/\s*>.*$/, '')
        .replace('${BASE:+--since "$BASE"}', '--since origin/main')
        .trim()
        .split(/\s+/)
        .slice(2);
      expect(() => parseArgs(argv, {}), line).not.toThrow();
    }
  });

  it("on a pull request, lints with the base branch's files as applied (a full clone: fetch-depth 0)", () => {
    const lint = steps.find((s) => s.id === 'lint')!;
    expect((lint as { env?: Record<string, string> }).env?.BASE).toBe(
      "${{ github.event_name == 'pull_request' && format('origin/{0}', github.base_ref) || '' }}",
    );
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout'))!.with?.['fetch-depth']).toBe(0);
  });

  it('its lint step, run as written on this repository (as on a push: no base), writes SARIF that validates', () => {
    const line = schemaguardLines.find((l) => l.includes('lint ${BASE:+--since "$BASE"} --format sarif'))!;
    const command = line.replace('npx schemaguard', `"${process.execPath}" "${CLI}"`).replace(/\s*>.*$/, '');
    const out = execSync(command, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    const log = JSON.parse(out) as { runs: { results: { level: string }[] }[] };
    expect(sarifSchemaErrors(log)).toEqual([]);
    expect(log.runs[0]!.results.filter((r) => r.level === 'error')).toEqual([]);
  });

  describe('its contracts step, run as written (schemaguard stubbed by echo)', () => {
    const script = steps.find((s) => s.id === 'check')!.run!.replace(/npx schemaguard/g, 'echo ran schemaguard');
    const runStep = (cwd: string) => execFileSync('bash', ['-e', '-c', script], { cwd, encoding: 'utf8' });

    it('in a project without contracts/: passes with a notice and writes no report (the upload step is skipped)', () => {
      const project = tempDir({ 'migrations/0001_a.sql': 'CREATE TABLE a (id int);' }, 'project');
      const out = runStep(project);
      expect(out).toMatch(/^::notice title=schemaguard::no contracts\/ directory: the query contracts check is skipped/);
      expect(out).not.toContain('ran schemaguard');
      expect(existsSync(join(project, 'schemaguard-check.sarif'))).toBe(false);
    });

    it('in a project with contracts/: runs schemaguard check --format sarif into the report', () => {
      const project = tempDir({ 'migrations/0001_a.sql': 'CREATE TABLE a (id int);' }, 'project');
      mkdirSync(join(project, 'contracts'));
      expect(runStep(project)).toBe('');
      expect(readFileSync(join(project, 'schemaguard-check.sarif'), 'utf8')).toBe('ran schemaguard check --format sarif\n');
    });
  });
});
