/**
 * Commands printed in a fix (`git mv 0002_add users.sql …`) are copied into a
 * shell as they are: an argument with a space, a quote or another character a
 * POSIX shell reads is single-quoted, so the command does what the fix says.
 */

import { isAbsolute, relative } from 'node:path';

/**
 * A migration file as the user types it where the command runs: its path
 * from the working directory (`db/migrations/0002_x.sql`, not `0002_x.sql`,
 * which fails pasted at the project root; `../migrations/0002_x.sql` from a
 * subfolder), or its absolute path when that is shorter (a folder elsewhere
 * on the machine). `path`: the file's path, absolute or from the working
 * directory.
 */
export function typedPath(path: string): string {
  if (!isAbsolute(path)) return path;
  const fromHere = relative(process.cwd(), path);
  return fromHere && !isAbsolute(fromHere) && fromHere.length <= path.length ? fromHere : path;
}

/** Characters a shell takes as they are: an argument of only these needs no quotes. */
const PLAIN = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One argument as a POSIX shell reads it back: as it is when plain, else in single quotes (a ' inside written '\''). */
export function shellArg(arg: string): string {
  return PLAIN.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line of these words, each quoted when it needs it. */
export function shellCommand(...words: string[]): string {
  return words.map(shellArg).join(' ');
}

/** A file's rename as a printed fix: `mv` works whether or not git tracks the file (`git mv` fails on one it does not), and git's form is named beside it. */
export function renameCommand(from: string, to: string): string {
  return `${shellCommand('mv', from, to)} (git mv, the same arguments, for a file git tracks)`;
}
