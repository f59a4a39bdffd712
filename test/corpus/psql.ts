/**
 * Applies migration files the way a user's shell loop does: one psql process
 * per file, `psql -X -v ON_ERROR_STOP=1 -f <file>`, stopping at the first
 * file that fails.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's psql (postgresql-client). */
export const PSQL = process.env.SCHEMAGUARD_TEST_PSQL ?? '/usr/bin/psql';

export function psqlProblem(): string | undefined {
  return existsSync(PSQL) ? undefined : `psql not found at ${PSQL}: install postgresql-client (apt-get install postgresql-client) or set SCHEMAGUARD_TEST_PSQL`;
}

export async function applyWithPsql(url: string, dir: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const { code, stderr } = await run(PSQL, ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', join(dir, file)]);
    if (code !== 0) throw new Error(`psql -f ${file} exited with ${code}:\n${stderr}`);
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    // A clean environment for libpq: the URL says where, nothing else may.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('PG')));
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
  });
}
