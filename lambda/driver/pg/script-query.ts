/**
 * Several statements in one simple-query message: one round trip whatever
 * their number. The server parses the whole text first (a syntax error
 * anywhere runs nothing), then runs the statements in order and stops at the
 * first error; the statements after it are skipped. A pg `Submittable`, so it
 * sees each statement end (CommandComplete) and can tell which one failed —
 * the server's `position` exists only for errors found while parsing or
 * analysing a statement, not for a unique violation or a lock timeout.
 *
 * Rows are parsed and kept only for the statements asked for; a migration
 * statement that returns a million rows costs nothing here. The message is
 * written from the text's pieces straight into one buffer of its exact size:
 * a statement of many megabytes is held once as text and once as bytes, never
 * joined into a second string nor grown through copies.
 *
 * It is a `pg.Query` so that a client in pipeline mode takes it: several
 * scripts may then be written before the first is answered (the session's
 * `pipelines`), each answered in turn, and the server's notices go to the
 * script it is running (`onNotice`).
 */
import pg, { Query } from 'pg';
import type { ScriptResult } from '../../engine/ports';

type Row = Record<string, unknown>;
/** The part of pg's connection a Submittable writes to (what its own `_send` does). */
interface Connection {
  stream: { writable: boolean; write(bytes: Uint8Array): boolean };
}
/** The simple-query message's type byte, 'Q'. */
const QUERY = 0x51;
interface Field {
  name: string;
  dataTypeID: number;
  format?: string;
}
/** How pg parses a text-format value of a column: the same parsers `client.query` uses. */
type Parser = (value: string) => unknown;

/**
 * The simple-query message for `pieces`: its header and strings written into
 * one buffer of its exact size, a long statement's UTF-8 pieces written to
 * the socket as they are (not copied into it).
 */
export function messageBuffers(pieces: readonly (string | Uint8Array)[]): Uint8Array[] {
  let size = 0;
  let copied = 0;
  for (const p of pieces) {
    const n = typeof p === 'string' ? Buffer.byteLength(p) : p.byteLength;
    size += n;
    if (typeof p === 'string') copied += n;
  }
  const own = Buffer.allocUnsafe(5 + copied + 1);
  own[0] = QUERY;
  own.writeInt32BE(4 + size + 1, 1);
  const out: Uint8Array[] = [];
  let from = 0;
  let at = 5;
  for (const p of pieces) {
    if (typeof p === 'string') {
      at += own.write(p, at, 'utf8');
      continue;
    }
    if (at > from) out.push(own.subarray(from, at));
    out.push(p);
    from = at;
  }
  own[at] = 0;
  out.push(own.subarray(from, at + 1));
  return out;
}

// Named, not pg.Query: the shipped .d.ts then need no esModuleInterop in the app that reads them.
export class ScriptQuery extends Query {
  /** Statements of the script that have completed so far. */
  private completed = 0;
  /** Names and parsers of the columns of the statement now returning rows, when its rows are kept. */
  private columns?: { names: string[]; parsers: Parser[] };
  private readonly kept = new Map<number, Row[]>();
  private failed?: unknown;
  readonly done: Promise<ScriptResult>;
  private settle!: { resolve(r: ScriptResult): void; reject(e: unknown): void };

  constructor(
    private pieces: readonly (string | Uint8Array)[],
    private readonly keepRowsOf: ReadonlySet<number>,
    /** The server's NOTICE/WARNING messages while it runs this script. */
    readonly onNotice?: (message: string) => void,
    /** Called once, as soon as the script is answered (ended or failed), before the next one's answers are read. */
    private onEnd?: () => void,
  ) {
    super({ text: '' });
    this.done = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  // A property, as pg's types declare it.
  override submit = (connection: Connection): null => {
    const pieces = this.pieces;
    this.pieces = [];
    if (!connection.stream.writable) return null;
    // Written in order before submit returns: nothing pg writes after it (a pipelined query) comes between.
    for (const bytes of messageBuffers(pieces)) connection.stream.write(bytes);
    return null;
  };

  handleRowDescription(msg: { fields: Field[] }): void {
    if (!this.keepRowsOf.has(this.completed)) return;
    this.columns = {
      names: msg.fields.map((f) => f.name),
      parsers: msg.fields.map((f) => pg.types.getTypeParser(f.dataTypeID, (f.format ?? 'text') as 'text') as Parser),
    };
  }

  handleDataRow(msg: { fields: (string | null)[] }): void {
    const columns = this.columns;
    if (!columns) return;
    try {
      const row: Row = {};
      msg.fields.forEach((value, i) => {
        row[columns.names[i]] = value === null ? null : columns.parsers[i](value);
      });
      const rows = this.kept.get(this.completed);
      if (rows) rows.push(row);
      else this.kept.set(this.completed, [row]);
    } catch (e) {
      this.failed ??= e;
    }
  }

  handleCommandComplete(): void {
    if (this.keepRowsOf.has(this.completed) && !this.kept.has(this.completed)) this.kept.set(this.completed, []);
    this.columns = undefined;
    this.completed++;
  }

  handleEmptyQuery(): void {
    // An empty script; statements between semicolons that hold nothing produce no message at all.
  }

  /** The server's error (or a lost connection): where in the script it happened goes with it. */
  handleError(err: unknown): void {
    if (err && typeof err === 'object') (err as { statementIndex?: number }).statementIndex = this.completed;
    this.ended();
    this.settle.reject(err);
  }

  private ended(): void {
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.();
  }

  handleReadyForQuery(): void {
    this.ended();
    if (this.failed) this.settle.reject(this.failed);
    else this.settle.resolve({ rows: this.kept, completed: this.completed });
  }

  handlePortalSuspended(): void {
    // Simple queries open no portal.
  }

  handleCopyInResponse(connection: { sendCopyFail(message: string): void }): void {
    // COPY … FROM STDIN needs data a migration file cannot carry: the server gets an error, as with pg's own queries.
    connection.sendCopyFail('COPY FROM STDIN is not supported in a migration: load the data from the application');
  }

  handleCopyData(): void {
    // COPY … TO STDOUT: the data is not kept.
  }
}
