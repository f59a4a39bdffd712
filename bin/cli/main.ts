/**
 * `schemaguard` — the CLI over the engine. `main` takes argv and an output
 * sink and returns the exit code, so tests can run it in-process.
 */
import { hostname, userInfo } from 'node:os';
import { PgDriver } from '../../lambda/driver/pg/pg-driver';
import { InputError, MigrationError } from '../../lambda/engine/errors';
import { Redactor } from '../../lambda/engine/redact';
import { inspect, migrate, type RunEvent } from '../../lambda/engine/runner';
import { loadMigrations } from '../../lambda/engine/source';
import { helpText, parseArgs, type CliOptions } from './args';
import { startEmbedded, type EmbeddedServer } from './embedded';
import { directivesOf, formatError, planTable, statusTable } from './format';
import { isSafetyCommand, runSafetyCommand } from './commands';
import { lintPlan } from './commands/plan-lint';

export const VERSION = '0.1.0';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
}

export const processIo: Io = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  env: process.env,
};

export function appliedBy(env: NodeJS.ProcessEnv): string {
  if (env.SCHEMAGUARD_APPLIED_BY) return env.SCHEMAGUARD_APPLIED_BY;
  let user = 'unknown';
  try { user = userInfo().username; } catch { /* no passwd entry */ }
  return `cli:${user}@${hostname()}`;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const redactor = new Redactor();
  const out = (t: string) => io.out(redactor.redact(t));
  const err = (t: string) => io.err(redactor.redact(t));
  let opts: CliOptions | undefined;
  let embedded: EmbeddedServer | undefined;
  try {
    opts = parseArgs(argv, io.env);
    if (opts.command === 'help') { out(helpText(VERSION)); return 0; }
    if (opts.command === 'version') { out(VERSION); return 0; }
    const o = opts;
    const progress = (t: string) => { if (!o.quiet) err(t); };

    if (isSafetyCommand(o.command)) {
      return await runSafetyCommand(o.command, { opts: o, out, err, progress, redactor, onEmbedded: (e) => { embedded = e; } });
    }

    // Files first: bad input never reaches (or starts) a database.
    const migrations = loadMigrations(o.dir);

    let url = o.databaseUrl;
    let where = '';
    if (!url) {
      embedded = await startEmbedded({ dir: o.embeddedDir, onProgress: progress });
      redactor.add(embedded.password);
      url = embedded.url;
      where = ` (embedded, ${o.embeddedDir}/)`;
    }
    const driver = new PgDriver({
      connectionString: url, redactor,
      connectTimeoutMs: o.connectTimeoutMs,
      connectRetry: { attempts: o.connectRetries + 1 },
      onConnectRetry: (attempt, delayMs, message) => progress(`  cannot connect yet (attempt ${attempt}): ${message}; retrying in ${delayMs} ms`),
    });

    switch (o.command) {
      case 'plan': {
        const plan = await inspect({ driver, migrations, stateSchema: o.stateSchema });
        if (o.json) {
          out(JSON.stringify({
            command: 'plan', target: driver.target, currentVersion: plan.currentVersion,
            pending: plan.pending.map((m) => ({ version: m.version, name: m.name, file: m.file, checksum: m.checksum, statements: m.statements.length, checks: m.checks.map((c) => c.description), directives: m.directives })),
            changed: plan.changed.map((c) => c.migration!.file),
            unknown: plan.unknown.map((u) => u.version),
            lint: await lintPlan(migrations, plan, 'json'),
          }));
        } else {
          out(`plan for ${driver.target}${where}: ${plan.pending.length} pending of ${migrations.length} in ${o.dir}/`);
          out(planTable(plan));
          for (const c of plan.changed) out(`warning: ${c.migration!.file} changed after it was applied (migrate will refuse)`);
          for (const u of plan.unknown) out(`warning: version ${u.version} (${u.name}) is applied but has no file (migrate needs --allow-ahead)`);
          out(await lintPlan(migrations, plan, 'text'));
        }
        return 0;
      }
      case 'status': {
        const plan = await inspect({ driver, migrations, stateSchema: o.stateSchema });
        if (o.json) {
          out(JSON.stringify({
            command: 'status', target: driver.target, currentVersion: plan.currentVersion,
            migrations: plan.entries.map((e) => ({
              version: e.version, name: e.name, status: e.status, outOfOrder: e.outOfOrder || undefined,
              appliedAt: e.applied?.appliedAt.toISOString(), appliedBy: e.applied?.appliedBy, executionMs: e.applied?.executionMs,
              checksum: e.migration?.checksum, appliedChecksum: e.applied?.checksum,
            })),
          }));
        } else {
          out(`status of ${driver.target}${where}`);
          out(statusTable(plan));
          const count = (s: string) => plan.entries.filter((e) => e.status === s).length;
          out(`${count('applied')} applied, ${count('pending')} pending, ${count('changed')} changed, ${count('unknown')} unknown; version ${plan.currentVersion ?? 'none'}`);
        }
        return 0;
      }
      case 'migrate': {
        progress(`migrate ${driver.target}${where}: ${migrations.length} migrations in ${o.dir}/`);
        const width = Math.max(0, ...migrations.map((m) => m.file.length));
        const result = await migrate({
          driver, migrations, stateSchema: o.stateSchema, appliedBy: appliedBy(io.env),
          lockWaitMs: o.lockWaitMs, lockTimeoutMs: o.lockTimeoutMs, statementTimeoutMs: o.statementTimeoutMs,
          lockRetries: o.lockRetries, allowAhead: o.allowAhead, allowOutOfOrder: o.outOfOrder,
          onEvent: (e) => progressLine(e, progress, width),
        });
        if (o.json) {
          out(JSON.stringify({ command: 'migrate', target: driver.target, ...result }));
        } else if (result.outcome === 'up-to-date') {
          out(`up to date: version ${result.currentVersion ?? 'none'}, ${result.appliedCount} applied${result.unknown.length ? `; the database is ahead of the files (${result.unknown.join(', ')}), allowed` : ''}`);
        } else {
          const total = result.applied.reduce((a, b) => a + b.executionMs, 0);
          out(`applied ${result.applied.length} migration${result.applied.length === 1 ? '' : 's'} in ${result.elapsedMs} ms (${total} ms in SQL); version ${result.currentVersion}, ${result.appliedCount} applied`);
        }
        return 0;
      }
    }
    return 0;
  } catch (e) {
    const error = e instanceof MigrationError ? e : new MigrationError(e instanceof Error ? e.message : String(e), { cause: e });
    if (opts?.json) out(JSON.stringify(redactor.redactValue(error.toJSON())));
    else err(formatError(error));
    return error instanceof InputError ? 2 : error.exitCode;
  } finally {
    if (embedded?.owned) await embedded.stop().catch(() => undefined);
  }
}

function progressLine(e: RunEvent, progress: (t: string) => void, width: number): void {
  switch (e.type) {
    case 'lock-wait':
      progress(`  waiting for the migration lock held by ${e.holders.map((h) => `pid ${h.pid}${h.application ? ` (${h.application})` : ''}`).join(', ') || 'another session'}`);
      break;
    case 'plan':
      progress(`  ${e.applied} applied, ${e.pending} pending`);
      break;
    case 'migration-start':
      break;
    case 'migration-applied':
      progress(`  applied ${e.migration.file.padEnd(width)} ${String(e.executionMs).padStart(6)} ms${e.attempts > 1 ? ` (attempt ${e.attempts})` : ''}${directivesOf(e.migration) ? `  [${directivesOf(e.migration)}]` : ''}`);
      break;
    case 'retry':
      progress(`  ${e.migration.file}: lock timeout, retry ${e.attempt} in ${e.delayMs} ms${e.blockers.length ? ` (blocked by pid ${e.blockers.map((b) => b.pid).join(', ')})` : ''}`);
      break;
    case 'note':
      progress(`  note: ${e.message}`);
      break;
    case 'deadline':
      progress(`  stopping before ${e.remaining[0]?.file}: deadline reached, ${e.remaining.length} left for the next run`);
      break;
    case 'lock-acquired':
      break;
  }
}
