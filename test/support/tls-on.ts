/**
 * TLS turned on for a test's PostgreSQL server, by reload: a self-signed
 * certificate for the name db.test.internal (not 127.0.0.1) in its data
 * directory, made with openssl. A client without an sslmode still connects
 * without TLS (the server only offers it).
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withClient } from './system-postgres';

/** TLS on for the server of `dataDir` (`admin`: its superuser URL); the certificate's PEM, the CA a client may trust. */
export async function turnOnTls(dataDir: string, admin: string): Promise<string> {
  const crt = join(dataDir, 'server.crt');
  const key = join(dataDir, 'server.key');
  // Another file of the run may have turned it on already: one certificate per server.
  if (!existsSync(crt)) {
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        '-days',
        '2',
        '-nodes',
        '-subj',
        '/CN=db.test.internal',
        '-addext',
        'subjectAltName=DNS:db.test.internal',
        '-keyout',
        key,
        '-out',
        crt,
      ],
      { stdio: 'pipe' },
    );
    const { uid, gid } = statSync(dataDir);
    for (const f of [crt, key]) chownSync(f, uid, gid);
  }
  await withClient(admin, async (c) => {
    await c.query('ALTER SYSTEM SET ssl = on');
    await c.query('SELECT pg_reload_conf()');
  });
  await reloaded(admin, "SELECT current_setting('ssl') = 'on' AS done");
  return readFileSync(crt, 'utf8');
}

/**
 * pg_reload_conf() only signals the postmaster: wait until a new connection
 * sees the new settings (`probe` returns done), at most 10 s.
 */
export async function reloaded(admin: string, probe: string): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if ((await withClient(admin, (c) => c.query<{ done: boolean }>(probe))).rows[0]?.done) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the server did not reload its settings: ${probe}`);
}
