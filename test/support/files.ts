/** Temporary migration directories for tests. */
import { chmodSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Directories tempDir made in this test file; removed after its last test (test/support/temp-cleanup.ts). */
const made: string[] = [];

/** Write `files` (name → text or bytes) into a new temporary directory and return its path. */
export function tempDir(files: Record<string, string | Uint8Array> = {}, label = 'migrations'): string {
  const dir = mkdtempSync(join(tmpdir(), `schemaguard-${label}-`));
  // mkdtemp makes it 0700; as root, the embedded server's OS user (postgres) must enter it, and the CLI leaves that to us.
  chmodSync(dir, 0o711);
  made.push(dir);
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

/** Remove every directory tempDir made so far (a suite run made about 800 and left them in the temp directory). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function addFile(dir: string, name: string, content: string | Uint8Array): void {
  writeFileSync(join(dir, name), content);
}

/** Run `fn` with `dir` as the working directory (as `cdk synth` runs an app from its folder), then go back. */
export function inDirectory<T>(dir: string, fn: () => T): T {
  const before = process.cwd();
  process.chdir(dir);
  try {
    return fn();
  } finally {
    process.chdir(before);
  }
}

/** `count` one-statement migrations with long names (as real projects write them): `status --json` of them is large. */
export function manyMigrations(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let v = 1; v <= count; v++) {
    files[`${String(v).padStart(4, '0')}_create_table_number_${v}_with_a_rather_long_descriptive_name_as_real_projects_write_them.sql`] =
      `CREATE TABLE t${v} (id int);\n`;
  }
  return files;
}
