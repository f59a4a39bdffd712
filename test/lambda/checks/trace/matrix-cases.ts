/**
 * The DDL forms the trace matrix runs (matrix.int.test.ts), from where the
 * project writes its DDL down: the lock forms' examples (forms.ts), every
 * lint rule's examples (the SQL it reports and the SQL that passes, after
 * the applied file they assume), the statements of the online-changes
 * guide's plan example, and the published corpora's histories
 * (test/fixtures/corpus) and this repository's own schema fixes
 * (migrations/), whose files build on each other.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCK_EXAMPLE_SCHEMA, LOCK_EXAMPLE_TABLESPACE, LOCK_EXAMPLE_TABLESPACE_SQL, LOCK_FORMS } from '../../../../lambda/checks/locks/forms';
import { LINT_RULES } from '../../../../lambda/checks/lint';
import { loadMigrations, parseMigration, type Migration } from '../../../../lambda/engine/files/source';
import { loadHistories } from '../../../corpus/histories';
import { ROOT } from '../../../support/cli';

/** Forms each traced alone, in a transaction rolled back, after a schema made once. */
export interface FormGroup {
  name: string;
  /** Run before the schema, outside a transaction, when the server lacks `when` (a tablespace outlives its database). */
  serverSetup?: { when: string; sql: string[] };
  /** The schema the forms run on, as an applied migration. */
  applied?: Migration;
  forms: { id: string; file: Migration }[];
}

/** Files traced in order, each building on the ones before. */
export interface HistoryCase {
  name: string;
  files: Migration[];
}

const NO_TRANSACTION = '-- schemaguard:no-transaction\n';

function lockForms(): FormGroup {
  return {
    name: 'lock forms',
    serverSetup: { when: `SELECT 1 FROM pg_tablespace WHERE spcname = '${LOCK_EXAMPLE_TABLESPACE}'`, sql: LOCK_EXAMPLE_TABLESPACE_SQL },
    applied: parseMigration('1_schema.sql', LOCK_EXAMPLE_SCHEMA),
    forms: LOCK_FORMS.map((f) => ({ id: f.id, file: parseMigration('2_form.sql', `${f.noTransaction ? NO_TRANSACTION : ''}${f.example};\n`) })),
  };
}

function lintExamples(): FormGroup[] {
  return LINT_RULES.map((rule) => {
    const { existing, triggers, passes } = rule.examples;
    return {
      name: `lint rule ${rule.id}`,
      ...(existing ? { applied: parseMigration('1_existing.sql', existing) } : {}),
      forms: [
        { id: `${rule.id} (reported)`, file: formFile('2_triggers.sql', triggers) },
        { id: `${rule.id} (passes)`, file: formFile('2_passes.sql', passes) },
      ],
    };
  });
}

/** A rule's example as a file; one migrate refuses as written (CONCURRENTLY in a transaction) is its statements in a no-transaction file. */
function formFile(file: string, text: string): Migration {
  try {
    return parseMigration(file, text);
  } catch {
    return parseMigration(file, `${NO_TRANSACTION}${text}`);
  }
}

/** The guide's plan example: `where  lock  table  rows  size  rewrites  scans  statement`, one statement per line, on the table `big`. */
function guideExample(): FormGroup {
  const guide = readFileSync(join(ROOT, 'docs', 'guide', 'online-changes.md'), 'utf8');
  const statements = [...guide.matchAll(/^\d{4}_\w+\.sql:\d+ .*?\s{2,}((?:ALTER|CREATE|UPDATE|DROP)\b.*)$/gm)].map((m) => m[1]!.trim());
  if (statements.length < 4) throw new Error(`docs/guide/online-changes.md: the plan example has ${statements.length} statements; the matrix reads them`);
  return {
    name: 'online-changes guide',
    applied: parseMigration('1_big.sql', 'CREATE TABLE big (id bigint PRIMARY KEY, a int, note text, flag boolean);\n'),
    forms: statements.map((sql, k) => ({
      id: `guide: ${sql}`,
      file: parseMigration(`${k + 2}_guide.sql`, `${/CONCURRENTLY/.test(sql) ? NO_TRANSACTION : ''}${sql};\n`),
    })),
  };
}

export function formGroups(): FormGroup[] {
  return [lockForms(), ...lintExamples(), guideExample()];
}

/** The corpora, and this repository's own schema fixes (migrations/: the guide's expand, backfill and swap, measured in docs/app/online-fixes.md). */
export function historyCases(): HistoryCase[] {
  const corpora = loadHistories().map((h) => ({
    name: `corpus ${h.name}`,
    files: h.files.map((f) => parseMigration(f, readFileSync(join(h.migrationsDir, f), 'utf8'), join(h.migrationsDir, f))),
  }));
  return [...corpora, { name: 'reference app', files: loadMigrations(join(ROOT, 'migrations')) }];
}
