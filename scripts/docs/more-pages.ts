/** The other generated tables: the lock each statement form takes, and the cdk-nag findings the stacks accept. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { lockFormsTable, tracedDifferencesTable } from '../../lambda/checks/locks/forms-table';
import { buildApp, buildAuroraApp } from '../../lib/app';
import { readAppConfig } from '../../lib/app-config';
import { acknowledgedRules, type AcknowledgedRule } from '../../lib/nag';
import { code, page, prose, table } from './markdown';

function lockFormsPage(): string {
  return page({
    title: 'Locks by statement',
    order: 1,
    source: '`LOCK_FORMS` in `lambda/checks/locks/forms.ts`',
    body: [
      '# Locks by statement',
      "The statement forms `schemaguard plan` knows: the lock each takes on its table (PostgreSQL 18's; plan shows an older server's own where it differs), what waits while it is held, and whether it rewrites or reads every row. Each row is run on PostgreSQL 18 and 15 by `test/lambda/checks/locks/forms.int.test.ts`. A form not listed is shown as ACCESS EXCLUSIVE with a `?`; `DO` blocks and `CALL` are not read.",
      lockFormsTable(),
      '## What a trace sees otherwise',
      "`plan --trace` runs each statement on a copy of the schema without rows and reads what PostgreSQL did ([Plan proven by running it](../../guide/online-changes.md#plan-proven-by-running-it-plan-trace)). `test/lambda/checks/trace/matrix.int.test.ts` traces every form above, the lint rules' examples, the online-changes guide's, the corpora's and this repository's migrations (at least 300 forms in all) on PostgreSQL 13 to 18: each row equals what the server did, or the difference is one of these, which the model names with its versions and the trace reports as explained, not as a mismatch.",
      tracedDifferencesTable(),
    ],
  });
}

/** The acknowledgements of both ready-made stacks, in both stages, synthesised from a throwaway migrations folder. */
function acknowledgements(): (AcknowledgedRule & { stacks: string[] })[] {
  const dir = mkdtempSync(join(tmpdir(), 'schemaguard-docs-nag-'));
  try {
    writeFileSync(join(dir, '1_a.sql'), 'CREATE TABLE a (id int);\n');
    const app = new App();
    const built = (['dev', 'prod'] as const).flatMap((stage) => {
      const config = (engine: string) =>
        readAppConfig(
          (k) => (({ 'schemaguard:stage': stage, 'schemaguard:engine': engine }) as Record<string, string>)[k],
          ['schemaguard:stage', 'schemaguard:engine'],
        );
      return [
        { name: `DatabaseStack (${stage})`, stack: buildApp(app, config('postgres'), { migrationsDir: dir, stackName: `Rds${stage}` }) },
        { name: `AuroraDatabaseStack (${stage})`, stack: buildAuroraApp(app, config('aurora'), { migrationsDir: dir, stackName: `Aurora${stage}` }) },
      ];
    });
    const byKey = new Map<string, AcknowledgedRule & { stacks: string[] }>();
    for (const { name, stack } of built) {
      for (const r of acknowledgedRules(stack).filter((a) => a.id.startsWith('AwsSolutions-'))) {
        const where = r.path.split('/').slice(1).join('/');
        const key = `${r.id}\u0000${where}\u0000${r.reason}`;
        const entry = byKey.get(key) ?? { ...r, path: where, stacks: [] };
        entry.stacks.push(name);
        byKey.set(key, entry);
      }
    }
    return [...byKey.values()].sort((a, b) => a.id.localeCompare(b.id) || a.path.localeCompare(b.path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function nagPage(): string {
  const rows = acknowledgements().map((r) => [code(r.id), code(r.path), r.stacks.join(', '), prose(r.reason)]);
  return page({
    title: 'cdk-nag acknowledgements',
    order: 2,
    source: 'the acknowledgements in `lib/` (`acknowledge` in `lib/nag.ts`), read from the synthesised stacks',
    body: [
      '# cdk-nag acknowledgements',
      "The ready-made stacks pass cdk-nag's AwsSolutions checks with these findings acknowledged, each on the construct that owns it, with its reason (`Validations.of(construct).acknowledge`, cdk-nag v3). `test/lib/nag.test.ts` fails on a finding that is not acknowledged.",
      table(['rule', 'construct', 'stacks', 'why'], rows),
    ],
  });
}

/** The pages of docs/reference/more. */
export function morePages(): Map<string, string> {
  return new Map([
    ['reference/more/lock-forms.md', lockFormsPage()],
    ['reference/more/cdk-nag.md', nagPage()],
  ]);
}
