/**
 * What each tenant ended at, as `migrate --json` and `status --json` list it
 * (`tenants`), and the summary line: how many at which version, which failed
 * and why.
 */
import { MigrationError } from '../errors/errors';
import { noun, plural } from '../errors/words';

/** `applied`: at the files' latest version; `pending`: files left to run (not started, or a read found them); `failed`: its run or read failed. */
export type TenantState = 'applied' | 'pending' | 'failed';

export interface TenantReport {
  name: string;
  /** Its highest applied version (null: none); for a failed tenant, the version it stayed at. */
  version: number | null;
  state: TenantState;
  /** Files this run applied there (migrate). */
  applied?: number;
  /** Files left to run there. */
  pending?: number;
  /** Why it failed: the error's message, and its fields as the CLI's JSON prints an error. */
  error?: { message: string } & Record<string, unknown>;
}

/** An error as a tenant's report carries it. */
export function tenantError(e: unknown): TenantReport['error'] {
  if (e instanceof MigrationError) return { ...e.toJSON(), message: e.message };
  return { message: e instanceof Error ? e.message : String(e) };
}

/** "200 tenants: 198 at version 3, 1 at version 2; 1 failed (tenant_q: …)". */
export function fleetSummary(reports: readonly TenantReport[], stopped?: string): string {
  const byVersion = new Map<string, number>();
  for (const r of reports) byVersion.set(String(r.version ?? 'none'), (byVersion.get(String(r.version ?? 'none')) ?? 0) + 1);
  const versions = [...byVersion.entries()]
    .sort(([a], [b]) => Number(b === 'none' ? -1 : b) - Number(a === 'none' ? -1 : a))
    .map(([v, n]) => `${n} at version ${v}`);
  const failed = reports.filter((r) => r.state === 'failed');
  const pending = reports.filter((r) => r.state === 'pending').length;
  const parts = [`${plural(reports.length, 'tenant')}: ${versions.join(', ') || 'none'}`];
  if (pending) parts.push(`${pending} ${noun(pending, 'tenant')} with files pending`);
  if (failed.length) parts.push(`${failed.length} failed (${failed.map((f) => `${JSON.stringify(f.name)}: ${f.error?.message ?? ''}`).join('; ')})`);
  if (stopped) parts.push(`stopped: ${stopped}`);
  return parts.join('; ');
}
