/**
 * The migrations bundled with the function, read as the deploy reads them:
 * no file larger than this function's memory applies (Lambda says how much
 * it has), and the layout synth resolved.
 */
import { loadMigrations, type Migration } from '../engine/files/source';
import type { HandlerConfig } from './config';
import { maxFileBytesFor, memoryFix } from './memory';

export function loadBundledMigrations(cfg: HandlerConfig, env: NodeJS.ProcessEnv): Migration[] {
  const memoryMb = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE) || undefined;
  return loadMigrations(
    cfg.migrationsDir,
    memoryMb
      ? { maxFileBytes: maxFileBytesFor(memoryMb), tooLargeFix: (bytes) => memoryFix(memoryMb, bytes), layout: cfg.migrationsLayout }
      : { layout: cfg.migrationsLayout },
  );
}
