/** The PostgreSQL servers a test run uses, shared from the global setup to every test file. */
export interface Target {
  /** e.g. "PostgreSQL 18 (embedded)". */
  name: string;
  major: number;
  /** Superuser URL of the server's maintenance database. */
  adminUrl: string;
  /** Data directory when the run started the server itself (fault tests restart it). */
  dataDir?: string;
  /** bin directory of the server's binaries, when started by the run. */
  binDir?: string;
  port: number;
  password: string;
  /** One of `versionPair` (18 and 15), the first of which is `targets` (both, in the full matrix); the others are only in `majors`. */
  isDefault: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The server most integration files run on: PostgreSQL 18 (18 and 15 in the full matrix). */
    targets: Target[];
    /** 18 and 15: the files on roles, and those that expect something else on an older major, run on each. */
    versionPair: Target[];
    /** A server of every supported major (13–18), oldest first: the version-sensitive files run on each. */
    majors: Target[];
    /** SCHEMAGUARD_TEST_MAJORS=all: the full matrix (db.ts's `fullMatrixMajors` is every major, not 18; `targets` are 18 and 15). */
    fullMatrix: boolean;
    skippedTargets: string[];
    /** PgBouncer's binary, or why it could not be installed. */
    pgbouncer: { bin?: string; problem?: string };
  }
}
