/**
 * The replication check migrate and plan make before anything runs: a pending statement
 * that changes the rows of a table a publication or an active logical slot
 * carries is refused, unless its file says the change was planned for
 * (`-- schemaguard:replication-planned <reason>`) or the run does
 * (`--replication-planned`, the construct's `replicationPlanned`): then it
 * is a note.
 */
import { ReplicationError } from '../../engine/errors/errors';
import type { RunCheck, RunCheckResult, RunFacts } from '../../engine/server/run-refusals';
import { carriesAnything, decodesEveryTable, readCarriers, resolveTables, type Carriers, type ResolvedTable } from './carriers';
import type { ShapeChange } from './ddl';
import { plural, verb } from '../../engine/errors/words';
import { present } from '../../engine/errors/present';

export interface ReplicationCheckOptions {
  /** The run's reason for changing carried tables (every file): the statements are noted, not refused. @default - refused unless the file says so */
  planned?: string | undefined;
  /** What the run calls that setting in a fix (the CLI's flag, the construct's prop). @default '--replication-planned' */
  plannedSetting?: string;
}

/** At most this many statements are named; the others are counted. */
const NAMED = 10;

/**
 * The check, for `MigrateOptions.checks` and plan's `RunFacts.checks`. Made
 * once the state is read, on the reader, before the applying session
 * connects: through a pool of one server connection, that session's open
 * transaction (the state table made ready) would hold the connection the
 * reads wait for. The files' text is parsed, by PostgreSQL's parser, only
 * when a publication or an active logical slot exists.
 */
export function replicationCheck(options: ReplicationCheckOptions = {}): RunCheck {
  return { step: 'state-read', check: (facts) => checkReplication(facts, options) };
}

async function checkReplication(facts: RunFacts, options: ReplicationCheckOptions): Promise<RunCheckResult> {
  if (facts.pending.length === 0) return {};
  const carriers = await readCarriers(facts.reader);
  if (!carriesAnything(carriers)) return {};
  // The parser only when something carries rows: a migrate loads none otherwise.
  const { shapeChanges } = await import('./ddl');
  const changes = await shapeChanges(facts.pending);
  if (changes.length === 0) return {};
  const tables = await resolveTables(facts.reader, uniqueNames(changes));
  const carried = changes.flatMap((c) => {
    const t = tables.find((r) => r.named === nameOf(c));
    const by = t ? carriedBy(t, carriers) : [];
    return by.length ? [{ change: c, table: `${present(t).schema}.${present(t).table}`, by }] : [];
  });
  if (carried.length === 0) return {};
  const planned = facts.pending.filter((m) => m.directives.replicationPlanned !== undefined).map((m) => m.file);
  const refused = carried.filter((c) => options.planned === undefined && !planned.includes(c.change.file));
  if (refused.length === 0) return { note: plannedNote(carried, options.planned) };
  return { refusal: refusal(refused, carriers, options.plannedSetting ?? '--replication-planned') };
}

function nameOf(c: { schema?: string; name: string }): string {
  return c.schema === undefined ? c.name : `${c.schema}.${c.name}`;
}

function uniqueNames(changes: readonly ShapeChange[]): { schema?: string; name: string }[] {
  const seen = new Map<string, { schema?: string; name: string }>();
  for (const c of changes) seen.set(nameOf(c), c.schema === undefined ? { name: c.name } : { schema: c.schema, name: c.name });
  return [...seen.values()];
}

/** What carries a table: its publications, and the active slots that decode every table. */
function carriedBy(t: ResolvedTable, c: Carriers): string[] {
  const slots = c.slots.filter((s) => s.active && decodesEveryTable(s)).map((s) => `logical slot ${s.name} (${s.plugin}, active)`);
  return [...t.publications.map((p) => `publication ${p}`), ...slots];
}

interface Carried {
  change: ShapeChange;
  table: string;
  by: string[];
}

function plannedNote(carried: readonly Carried[], reason: string | undefined): string {
  const files = [...new Set(carried.map((c) => c.change.file))];
  const why = reason === undefined ? 'as each file says (-- schemaguard:replication-planned)' : `as the run says: ${reason}`;
  return `${plural(carried.length, 'statement')} in ${files.join(', ')} ${verb(carried.length, 'change')} tables that logical replication carries (${[...new Set(carried.map((c) => c.table))].join(', ')}): planned for, ${why}`;
}

function refusal(refused: readonly Carried[], carriers: Carriers, setting: string): ReplicationError {
  const lines = refused.slice(0, NAMED).map((c) => `  ${c.change.file}:${c.change.line}: ${c.change.what} — ${c.table}, carried by ${c.by.join(', ')}`);
  if (refused.length > NAMED) lines.push(`  … and ${refused.length - NAMED} more`);
  const first = refused[0];
  const inactive = carriers.slots.filter((s) => !s.active).map((s) => s.name);
  return new ReplicationError(
    `${first.change.file}:${first.change.line}: ${plural(refused.length, 'pending statement')} ${verb(refused.length, 'change')} tables that logical replication carries; nothing was run\n${lines.join('\n')}` +
      (inactive.length ? `\n  (inactive logical slots, which decode these changes when their consumer resumes: ${inactive.join(', ')})` : ''),
    {
      file: first.change.file,
      line: first.change.line,
      statements: refused.map((c) => ({ file: c.change.file, line: c.change.line, table: c.table, carriedBy: c.by })),
      fix:
        'logical replication sends rows, not DDL: a subscriber without the change stops applying (or its copy diverges). Either wait until the replication ends (an RDS Blue/Green switchover done, the DMS task or Debezium connector stopped) and migrate then; ' +
        'or make the same change on the subscriber first (an added column must exist there before rows with it arrive), then say so on the file: -- schemaguard:replication-planned <how>; ' +
        `or, for the whole run: ${setting} "<how>"`,
    },
  );
}
