/**
 * Small generated migrations for the apply and no-op benchmarks: every four
 * files create a table, add a column, index it and insert two rows — the
 * shape of ordinary schema work, a few cheap statements each.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function migrationText(k: number): string {
  const t = `bench_t${k - ((k - 1) % 4)}`;
  switch ((k - 1) % 4) {
    case 0: return `-- generated benchmark migration ${k}\nCREATE TABLE ${t} (id bigint PRIMARY KEY, name text NOT NULL);\n`;
    case 1: return `-- generated benchmark migration ${k}\nALTER TABLE ${t} ADD COLUMN note text;\n`;
    case 2: return `-- generated benchmark migration ${k}\nCREATE INDEX ${t}_name_idx ON ${t} (name);\n`;
    default: return `-- generated benchmark migration ${k}\nINSERT INTO ${t} (id, name) VALUES (1, 'a'), (2, 'b');\nCOMMENT ON TABLE ${t} IS 'generated';\n`;
  }
}

/** Tables the first `count` migrations create. */
export function tablesFor(count: number): number {
  return Math.ceil(count / 4);
}

/** Writes `count` files named `00001_step_1.sql` … into a new directory. */
export function generateMigrations(count: number, dir = mkdtempSync(join(tmpdir(), 'schemaguard-bench-migrations-'))): { dir: string; files: string[] } {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const width = Math.max(5, String(count).length);
  for (let k = 1; k <= count; k++) {
    const file = `${String(k).padStart(width, '0')}_step_${k}.sql`;
    writeFileSync(join(dir, file), migrationText(k));
    files.push(file);
  }
  return { dir, files };
}
