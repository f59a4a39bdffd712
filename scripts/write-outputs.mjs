// Writes esbuild's in-memory output files to disk, each only when its bytes
// changed and each through a rename, so a process that reads a bundle while it
// is rebuilt (a CLI test, a synth, `npm pack` during the test run) never reads
// half a file.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `bytes` to `path` when they differ from what is there; returns whether it wrote. */
export function writeIfChanged(path, bytes) {
  let current;
  try {
    current = readFileSync(path);
  } catch {
    current = undefined;
  }
  if (current && Buffer.compare(current, Buffer.from(bytes)) === 0) return false;
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
  return true;
}

/** The output files of an esbuild `build({ write: false })`. */
export function writeOutputs(result) {
  for (const file of result.outputFiles ?? []) writeIfChanged(file.path, file.contents);
}
