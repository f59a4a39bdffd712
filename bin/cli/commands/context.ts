/** What the safety commands (lint, check, diff, doctor) get from `main`: options, output and a way to reach the database. */
import { PgDriver } from '../../../lambda/driver/pg/pg-driver';
import type { Redactor } from '../../../lambda/engine/redact';
import type { CliOptions } from '../args';
import { startEmbedded, type EmbeddedServer } from '../embedded';

export interface CommandContext {
  opts: CliOptions;
  out(text: string): void;
  err(text: string): void;
  /** Progress lines on stderr (silent with --quiet). */
  progress(text: string): void;
  redactor: Redactor;
  /** Called with the embedded server this command started, so `main` stops it in `finally`. */
  onEmbedded(server: EmbeddedServer): void;
}

/** A driver for --database-url/DATABASE_URL, else for the embedded server (started if needed). */
export async function connectTarget(ctx: CommandContext): Promise<{ driver: PgDriver; where: string }> {
  let url = ctx.opts.databaseUrl;
  let where = '';
  if (!url) {
    const embedded = await startEmbedded({ dir: ctx.opts.embeddedDir, onProgress: ctx.progress });
    ctx.onEmbedded(embedded);
    ctx.redactor.add(embedded.password);
    url = embedded.url;
    where = ` (embedded, ${ctx.opts.embeddedDir}/)`;
  }
  const driver = new PgDriver({
    connectionString: url, redactor: ctx.redactor,
    connectTimeoutMs: ctx.opts.connectTimeoutMs,
    connectRetry: { attempts: ctx.opts.connectRetries + 1 },
    onConnectRetry: (attempt, delayMs, message) => ctx.progress(`  cannot connect yet (attempt ${attempt}): ${message}; retrying in ${delayMs} ms`),
  });
  return { driver, where };
}
