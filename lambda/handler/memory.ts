/**
 * How large a migration file the handler can apply in the memory Lambda gives
 * it. A file up to IN_MEMORY_BYTES is held whole; a larger one is streamed,
 * and what the handler holds still grows with it (measured: a process peak of
 * 113 MB for 1 MiB, 131 MB for 8 MiB, 167 MB for 16 MiB of single-row
 * INSERTs — test/lambda/handler/memory.int.test.ts). The rule keeps a Lambda
 * runtime's own memory aside: 128 MB plus 8 MB for each MiB of the largest file,
 * so the default 256 MB applies files up to MAX_FILE_BYTES (16 MiB).
 *
 * The construct refuses at synth a file over the limit of its `memorySize`;
 * the handler applies the same limit (AWS_LAMBDA_FUNCTION_MEMORY_SIZE), so a
 * file that would not fit is a clear input error, not an out-of-memory crash.
 */
import { IN_MEMORY_BYTES, MAX_FILE_BYTES } from '../engine/files/source';

/** Of a function's memory, this share is V8's old generation (`heapOptions`). */
const OLD_SPACE_SHARE = 0.6;
/** V8's semi-space, MB: a young generation of 3 × this (Node.js 20's default is 16 MB on 64-bit). */
const SEMI_SPACE_MB = 4;

/**
 * The V8 heap limits the handler runs with (SchemaMigrations sets them as
 * NODE_OPTIONS): without them V8 sizes its heap by what it takes the machine
 * to have and lets it grow before collecting. The handler applying a 16 MiB
 * migration of one multi-row INSERT peaked at 218 MB without them, 150 MB
 * with them; of single-row INSERTs, 127 MB (test/lambda/handler/memory.int.test.ts).
 */
export function heapOptions(memoryMb: number): string {
  return `--max-old-space-size=${Math.floor(memoryMb * OLD_SPACE_SHARE)} --max-semi-space-size=${SEMI_SPACE_MB}`;
}

/** SchemaMigrations' default `memorySize`, MB. */
export const DEFAULT_MEMORY_MB = 256;
const RESERVED_MB = 128;
const MB_PER_MIB = 8;

/** The largest migration file a handler with `memoryMb` applies. */
export function maxFileBytesFor(memoryMb: number): number {
  const mib = Math.floor((memoryMb - RESERVED_MB) / MB_PER_MIB);
  return Math.min(MAX_FILE_BYTES, Math.max(IN_MEMORY_BYTES, mib * 2 ** 20));
}

/** The memory (MB) a handler needs for a file of `bytes`: the smallest `memorySize` whose limit takes it. */
export function memoryFor(bytes: number): number {
  if (bytes <= IN_MEMORY_BYTES) return 128;
  return RESERVED_MB + MB_PER_MIB * Math.ceil(bytes / 2 ** 20);
}

/** What to do about a file over the limit of a handler with `memoryMb`. */
export function memoryFix(memoryMb: number, bytes: number): string {
  return bytes > MAX_FILE_BYTES
    ? 'load bulk data with COPY from the application, not from a migration; or split the file'
    : `raise SchemaMigrations' memorySize from ${memoryMb} to at least ${memoryFor(bytes)} MB (the default ${DEFAULT_MEMORY_MB} MB applies files up to ${MAX_FILE_BYTES / 2 ** 20} MiB), or split the file`;
}
