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
    case 0:
      return `-- generated benchmark migration ${k}\nCREATE TABLE ${t} (id bigint PRIMARY KEY, name text NOT NULL);\n`;
    case 1:
      return `-- generated benchmark migration ${k}\nALTER TABLE ${t} ADD COLUMN note text;\n`;
    case 2:
      return `-- generated benchmark migration ${k}\nCREATE INDEX ${t}_name_idx ON ${t} (name);\n`;
    default:
      return `-- generated benchmark migration ${k}\nINSERT INTO ${t} (id, name) VALUES (1, 'a'), (2, 'b');\nCOMMENT ON TABLE ${t} IS 'generated';\n`;
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

/**
 * One migration of `bytes` holding a single INSERT of many rows, one row a
 * line, as `pg_dump --inserts --rows-per-insert` writes a table's data.
 */
export function bigInsertText(bytes: number): { text: string; statements: number; rows: number } {
  const head =
    '-- generated: one big migration of one multi-row INSERT\nCREATE TABLE bench_big (id integer PRIMARY KEY, note text NOT NULL);\nINSERT INTO bench_big (id, note) VALUES\n';
  const parts = [head];
  let size = Buffer.byteLength(head);
  let rows = 0;
  for (;;) {
    const line = `\t(${rows + 1}, 'row ${rows + 1} of a generated migration'),\n`;
    // Room for the last row's ";" and the padding comment after it.
    if (size + line.length + 8 > bytes) break;
    parts.push(line);
    size += line.length;
    rows++;
  }
  parts[parts.length - 1] = parts.at(-1)!.replace(/,\n$/, ';\n');
  parts.push(`--${'-'.repeat(bytes - size - 3)}\n`);
  return { text: parts.join(''), statements: 2, rows };
}

/**
 * One migration of exactly `bytes` bytes: a table, then single-row INSERTs
 * into it up to the size (the shape of a data fix or a seed that grew), the
 * last line a comment that pads to the byte. Returns how many statements.
 */
export function bigMigrationText(bytes: number): { text: string; statements: number; rows: number } {
  const parts = ['-- generated: one big migration of single-row INSERTs\nCREATE TABLE bench_big (id integer PRIMARY KEY, note text NOT NULL);\n'];
  let size = Buffer.byteLength(parts[0]!);
  let rows = 0;
  for (;;) {
    const line = `INSERT INTO bench_big (id, note) VALUES (${rows + 1}, 'row ${rows + 1} of a generated migration');\n`;
    // Room for the padding comment ("--" and a newline) after the last row.
    if (size + line.length + 3 > bytes) break;
    parts.push(line);
    size += line.length;
    rows++;
  }
  parts.push(`--${'-'.repeat(bytes - size - 3)}\n`);
  return { text: parts.join(''), statements: rows + 1, rows };
}

/**
 * One migration of `bytes` that is mostly one token: a function whose body
 * (a generated SQL function, commented line after line) fills the file, then
 * a row that calls it. `lastLine`: the line of its last statement.
 */
export function bigTokenText(bytes: number): { text: string; statements: number; rows: number; lastLine: number } {
  const head =
    "-- generated: one big migration that is mostly one function body\nCREATE TABLE bench_big (id integer PRIMARY KEY, note text NOT NULL);\nCREATE FUNCTION bench_body() RETURNS text LANGUAGE sql AS $body$\nSELECT 'one generated body'::text\n";
  const tail = '$body$;\nINSERT INTO bench_big SELECT 1, bench_body();\n';
  const parts = [head];
  let size = Buffer.byteLength(head) + tail.length;
  for (let k = 1; ; k++) {
    const line = `-- line ${k} of a generated function body\n`;
    // Room for the padding comment ("--" and a newline) after the last line.
    if (size + line.length + 3 > bytes) break;
    parts.push(line);
    size += line.length;
  }
  parts.push(`--${'-'.repeat(bytes - size - 3)}\n`, tail);
  const text = parts.join('');
  return { text, statements: 3, rows: 1, lastLine: text.split('\n').length - 1 };
}

/**
 * One migration of `bytes` of the smallest statements there are, one a line
 * (`SELECT 1;` by default: the most statements a 16 MiB file holds that the
 * parser reads as statements), the last line a comment that pads to the byte.
 */
export function tinyStatementsText(bytes: number, statement = 'SELECT 1;'): { text: string; statements: number; rows: number } {
  const line = `${statement}\n`;
  const count = Math.floor((bytes - 3) / Buffer.byteLength(line));
  const size = count * Buffer.byteLength(line);
  return { text: `${line.repeat(count)}--${'-'.repeat(bytes - size - 3)}\n`, statements: count, rows: 0 };
}
