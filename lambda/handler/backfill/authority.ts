/**
 * Invoke permission is not authority, for a backfill's slice too: the event
 * names a backfill (its version and file), and only one this function was
 * made for runs — a function that serves the migrations resource (never the
 * role provisioner, which holds the master secret), one of its own bundled
 * files with a `-- schemaguard:backfill`, and recorded in the database with
 * that file's statement. Everything else a batch decides (the statement, the
 * table and key, the timeouts, the batch and health bounds, the final proof)
 * is read from the database's row and the function's configuration, never
 * from the event.
 */
import type { BackfillRow } from '../../engine/backfill/progress';
import { InputError } from '../../engine/errors/errors';
import type { Migration } from '../../engine/files/source';
import { MIGRATIONS_RESOURCE_TYPE } from '../constants';
import type { Served } from '../served';

const FIX =
  "slices come from the backfill workflow the deploy starts, which names the deploy's own backfills: start its execution again rather than invoking the function by hand";

/** The bundled file whose backfill the slice names; throws (nothing connected yet) when this function was not made for it. */
export function sliceFile(slice: { version: number; file: unknown }, served: Served, migrations: readonly Migration[]): Migration {
  if (!served.some((r) => r.type === MIGRATIONS_RESOURCE_TYPE))
    throw new InputError(`a backfill slice came to a function that does not run the migrations (it serves ${served.map((r) => r.type).join(', ')}): refused`, {
      value: String(slice.version),
      fix: FIX,
    });
  const m = migrations.find((x) => x.version === slice.version && x.backfill !== undefined);
  if (!m || m.file !== slice.file)
    throw new InputError(
      `the backfill slice names version ${slice.version} (${JSON.stringify(slice.file)}), which is not a backfill of this function's files${m ? ` (version ${m.version} is ${m.file})` : ''}: refused`,
      { value: `${slice.version} ${JSON.stringify(slice.file)}`, fix: FIX },
    );
  return m;
}

/** The database's row for the slice's backfill is the one the bundled file recorded: same file, same statement. */
export function refuseForeignRow(row: BackfillRow | undefined, m: Migration, stateSchema: string): asserts row is BackfillRow {
  if (row && row.file === m.file && row.statement === m.backfill?.text) return;
  const found = row ? `records ${row.file}'s statement${row.file === m.file ? ', another than the file has' : ''}` : 'records none';
  throw new InputError(`${m.file}: the backfill of version ${m.version} in ${stateSchema}.backfills ${found}: refused, no batch ran`, {
    file: m.file,
    value: String(m.version),
    fix: 'run the backfill of the files that recorded it (schemaguard migrate with those files), or deploy the files this database was migrated with',
  });
}
