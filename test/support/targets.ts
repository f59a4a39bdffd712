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
  /** One of the servers most integration files run on (`targets`: 18 and 15); the others are only in `majors`. */
  isDefault: boolean;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The servers most integration files run on: PostgreSQL 18 and 15. */
    targets: Target[];
    /** A server of every supported major (13–18), oldest first: the version-sensitive files run on each. */
    majors: Target[];
    /** SCHEMAGUARD_TEST_MAJORS=all: the full matrix (db.ts's `fullMatrixMajors` is every major, not 18 and 15). */
    fullMatrix: boolean;
    skippedTargets: string[];
    /** PgBouncer's binary, or why it could not be installed. */
    pgbouncer: { bin?: string; problem?: string };
  }
}
