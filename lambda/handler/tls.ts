/**
 * TLS to the database: the server's certificate chain is verified against a
 * CA bundle (in AWS, the one the Lambda runtime ships) and its name against
 * the host — Node's default check, the equivalent of libpq's `verify-full`.
 * The bundle is read once per container, not once per invocation.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { InputError } from '../engine/errors/errors';
import type { TlsSettings } from './config';
import { ENV } from './constants';

/** The CA bundle last read, kept across the invocations of a warm container. */
export class CaBundleCache {
  private cached?: { path: string; pem: string };

  read(path: string): string {
    if (this.cached?.path !== path) this.cached = { path, pem: readBundle(path) };
    return this.cached.pem;
  }
}

/** The `ssl` option of the pg driver: `false` only when TLS is turned off (local tests). */
export function tlsOptions(tls: TlsSettings, host: string, bundles: CaBundleCache): ConnectionOptions | false {
  if (tls.mode === 'disable') return false;
  return { ca: bundles.read(tls.caBundle), rejectUnauthorized: true, servername: host };
}

function readBundle(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new InputError(`cannot read the CA bundle ${path} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, {
      value: path,
      cause,
      fix: `the Node.js 20+ Lambda runtimes ship the Amazon CA certificates in /var/runtime/ca-cert.pem; point ${ENV.caBundle} at a PEM bundle that holds the RDS CA`,
    });
  }
}
