/**
 * The files a deploy reads, given to PostgreSQL's parser without a database:
 * each migration as `lint` parses it (`parseSqlInChunks`: a chunk of
 * statements at a time, a large INSERT's VALUES rows cut after the first),
 * and the contracts as the handler loads them (`loadContracts`). A file the
 * parser refuses is said with the parser's own message (file:line:column and
 * the token it stopped at), the one `schemaguard lint` and `check` print.
 *
 * SchemaMigrations runs this at synth, in a child process (bin/synth-parse.ts):
 * the parser loads asynchronously and a construct's constructor is not.
 */
import type { MigrationLayout } from '../../engine/files/layout';
import { InputError } from '../../engine/errors/errors';
import { normaliseLineEndings } from '../../engine/files/checksum';
import { migrationFiles, readMigrationText } from '../../engine/files/source';
import { loadContracts } from '../contracts';
import { loadParser, parseSqlInChunks } from '../parser/parse';
import { present } from '../../engine/errors/present';

/** What to parse: directories, as the handler finds its files in them. */
export interface FilesToParse {
  /** The migrations directory; its migrations are parsed. @default - no migrations are parsed */
  migrationsDir?: string;
  /** How it is laid out (lambda/engine/files/layout.ts). @default - detected */
  migrationsLayout?: MigrationLayout;
  /** The contracts directory; its `.sql` files are loaded as contracts. @default - no contracts */
  contractsDir?: string;
}

/** A file the parser (or, for contracts, the contract loader) refuses. */
export interface ParseRefusal {
  kind: 'migration' | 'contract';
  /** File name, relative to its directory. */
  file: string;
  line?: number;
  column?: number;
  /** As the CLI prints it: `0002_b.sql:3:33: syntax error at or near "DEFALT"`. */
  message: string;
  fix?: string;
}

/** Every migration file that does not parse (the first error of each, in order of version), then the contracts' first refusal. */
export async function parseDeployFiles(files: FilesToParse): Promise<ParseRefusal[]> {
  await loadParser();
  const refusals: ParseRefusal[] = [];
  if (files.migrationsDir !== undefined) {
    for (const f of migrationFiles(files.migrationsDir, files.migrationsLayout)) {
      const refusal = refusalOf('migration', () => parseMigrationFile(f.file, f.path));
      if (refusal) refusals.push(refusal);
    }
  }
  if (files.contractsDir !== undefined) {
    // The handler loads them all or fails on the first (a name used twice too): so does this.
    const refusal = await asyncRefusalOf('contract', () => loadContracts(present(files.contractsDir)));
    if (refusal) refusals.push(refusal);
  }
  return refusals;
}

/** Parse one migration as lint does; only its error is kept (the trees of each chunk are dropped). */
function parseMigrationFile(file: string, path: string): void {
  const text = normaliseLineEndings(readMigrationText(file, path));
  for (const chunk of parseSqlInChunks(text, { file }).chunks) void chunk;
}

function refusalOf(kind: ParseRefusal['kind'], parse: () => void): ParseRefusal | undefined {
  try {
    parse();
    return undefined;
  } catch (e) {
    return asRefusal(kind, e);
  }
}

async function asyncRefusalOf(kind: ParseRefusal['kind'], parse: () => Promise<unknown>): Promise<ParseRefusal | undefined> {
  try {
    await parse();
    return undefined;
  } catch (e) {
    return asRefusal(kind, e);
  }
}

/** An InputError (the file is refused) as a refusal; anything else is not the file's fault and goes on up. */
function asRefusal(kind: ParseRefusal['kind'], e: unknown): ParseRefusal {
  if (!(e instanceof InputError)) throw e;
  return { kind, file: e.file ?? '', line: e.line, column: e.column, message: e.message, fix: e.fix };
}
