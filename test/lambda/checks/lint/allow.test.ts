/** `-- schemaguard:allow <rule> <reason>`: silences one statement's findings of one rule; an unused allow is reported. */
import { describe, expect, it } from 'vitest';
import { lint, rules } from './pending';

describe('Directive: allow', () => {
  it('silences the finding of its rule in the next statement and keeps it, with the reason, as allowed', async () => {
    const r = await lint('-- schemaguard:allow index-not-concurrent leads has 40 rows\nCREATE INDEX leads_name ON leads (name);');
    expect(r.findings).toEqual([]);
    expect(r.allowed).toMatchObject([{ rule: 'index-not-concurrent', allowed: { reason: 'leads has 40 rows', line: 1 } }]);
  });
  it('silences only the next statement', async () => {
    const r = await lint('-- schemaguard:allow index-not-concurrent small\nCREATE INDEX a ON leads (name);\nCREATE INDEX b ON leads (score);');
    expect(r.findings.map((f) => `${f.rule}@${f.line}`)).toEqual(['index-not-concurrent@3']);
  });
  it('silences each statement that starts on the line after it', async () => {
    const r = await lint(
      '-- schemaguard:allow index-not-concurrent small\nCREATE INDEX a ON leads (name); CREATE INDEX b ON leads (score);\nCREATE INDEX c ON leads (code);',
    );
    expect(r.allowed.map((a) => `${a.line}:${a.column}@${a.allowed.line}`)).toEqual(['2:19@1', '2:51@1']);
    expect(r.findings.map((f) => `${f.rule}@${f.line}`)).toEqual(['index-not-concurrent@3']);
  });
  it('silences only its own rule', async () => {
    expect(await rules('-- schemaguard:allow constraint-not-valid wrong rule\nCREATE INDEX a ON leads (name);')).toEqual([
      'unused-allow',
      'index-not-concurrent',
    ]);
  });
  it('reports an allow that silences nothing, and one naming an unknown rule', async () => {
    const r = await lint('-- schemaguard:allow index-not-concurrent stale\nCREATE TABLE t (id int);\n-- schemaguard:allow no-such-rule because\nSELECT 1;');
    expect(r.findings.map((f) => f.rule)).toEqual(['unused-allow', 'unused-allow']);
    expect(r.findings[1]!.message).toContain('unknown rule "no-such-rule"');
    expect(r.findings.every((f) => f.severity === 'warning')).toBe(true);
  });
});
