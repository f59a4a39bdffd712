/**
 * The PostgreSQL majors schemaguard runs on, and every difference between
 * them that its code depends on, keyed by `server_version_num`: one place,
 * so each difference is written once and tested on each major (the test
 * matrix in test/support/global-setup.ts starts a server of every major in
 * this range).
 */

/**
 * The majors RDS for PostgreSQL (13–18) and Aurora PostgreSQL (13–17) run
 * (docs/guide/versions.md): 13 is the oldest either still runs, under RDS
 * Extended Support; 18 is the newest.
 */
export const SUPPORTED_MAJORS = { oldest: 13, newest: 18 } as const;

/** The major version of a `server_version_num` (150008 -> 15). */
export function majorOf(serverVersionNum: number): number {
  return Math.floor(serverVersionNum / 10_000);
}

/** Each supported major, oldest first. */
export function supportedMajors(): number[] {
  const out: number[] = [];
  for (let m = SUPPORTED_MAJORS.oldest; m <= SUPPORTED_MAJORS.newest; m++) out.push(m);
  return out;
}

/**
 * Why a server of `serverVersionNum` is refused, or undefined when it is
 * one of SUPPORTED_MAJORS (a newer major than the newest is let through: it
 * is checked when it comes out, and a refusal would stop a team upgrading).
 */
export function unsupportedServer(serverVersionNum: number): { message: string; fix: string } | undefined {
  const major = majorOf(serverVersionNum);
  if (major >= SUPPORTED_MAJORS.oldest) return undefined;
  return {
    message: `the server is PostgreSQL ${major} (server_version_num ${serverVersionNum}); schemaguard supports PostgreSQL ${SUPPORTED_MAJORS.oldest} to ${SUPPORTED_MAJORS.newest}, the majors RDS and Aurora run: nothing was run`,
    fix: `upgrade the server to PostgreSQL ${SUPPORTED_MAJORS.oldest} or later (on RDS and Aurora, a major version upgrade), then run migrate again`,
  };
}
