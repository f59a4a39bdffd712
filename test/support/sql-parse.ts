/**
 * What PostgreSQL's own parser (libpg-query, the parser lambda/checks/parse.ts
 * loads) reads in a whole text at once: its statements, each as its node
 * type and fields. No splitting of schemaguard's own comes first, so the
 * count is the server's.
 */
import * as libpg from 'libpg-query';

export interface RawStatement {
  kind: string;
  node: Record<string, unknown>;
}

let loaded: Promise<void> | undefined;

export function loadLibpg(): Promise<void> {
  loaded ??= libpg.loadModule();
  return loaded;
}

/** The statements of `sql` (call `loadLibpg()` first); a syntax error throws. */
export function parseStatements(sql: string): RawStatement[] {
  const tree = libpg.parseSync(sql) as { stmts?: { stmt: Record<string, Record<string, unknown>> }[] };
  return (tree.stmts ?? []).map(({ stmt }) => {
    const kind = Object.keys(stmt)[0]!;
    return { kind, node: stmt[kind]! };
  });
}
