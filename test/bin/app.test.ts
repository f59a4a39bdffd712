/**
 * bin/app.ts as the CDK CLI runs it (`npx tsx bin/app.ts` with the output
 * directory and the context in the environment): no credentials, no lookups.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT as REPO_ROOT } from '../../lib/paths';
import { USER_SYNTH_ENV } from '../support/user-synth';

function runApp(context: Record<string, unknown>): { code: number | null; stderr: string; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'schemaguard-cdkout-'));
  const env: NodeJS.ProcessEnv = { ...process.env, ...USER_SYNTH_ENV, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(context) };
  // No credentials and no region: synthesis must not need them.
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    'CDK_DEFAULT_ACCOUNT',
    'CDK_DEFAULT_REGION',
  ])
    delete env[k];
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO_ROOT, 'bin', 'app.ts')], {
    cwd: REPO_ROOT,
    env,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stderr: r.stderr, outdir };
}

describe('bin/app.ts', () => {
  it('synthesises the stack from context, with cdk-nag passing, without credentials', () => {
    const r = runApp({ 'schemaguard:stage': 'prod', 'schemaguard:instanceClass': 'm7g.large' });
    expect(r.code, r.stderr).toBe(0);
    const template = JSON.parse(readFileSync(join(r.outdir, 'SchemaguardDatabase.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const db = Object.values(template.Resources).find((x) => x.Type === 'AWS::RDS::DBInstance')!;
    expect(db.Properties).toMatchObject({
      DeletionProtection: true,
      DBInstanceClass: 'db.m7g.large',
      DBInstanceIdentifier: 'schemaguard-prod-app',
      EngineVersion: '18.3',
    });
    expect(Object.values(template.Resources).some((x) => x.Type === 'Custom::SchemaMigrations')).toBe(true);
    const report = join(r.outdir, 'validation-report.json');
    if (existsSync(report)) {
      const parsed = JSON.parse(readFileSync(report, 'utf8')) as { pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[] };
      for (const p of parsed.pluginReports.filter((x) => x.pluginName === 'AwsSolutions')) expect(p.violations).toEqual([]);
    }
  });

  it.each([
    [{ 'schemaguard:instanceClas': 't4g.micro' }, /schemaguard: unknown context key schemaguard:instanceClas; the known keys are/],
    [{ 'schemaguard:instanceClass': 'huge' }, /schemaguard: context schemaguard:instanceClass: "huge" is not an RDS instance class/],
  ])('stops with exit code 2 and a clear message on %j', (context, message) => {
    const r = runApp(context);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(existsSync(join(r.outdir, 'manifest.json'))).toBe(false);
  });
});
