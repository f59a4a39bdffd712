/**
 * Where schemaguard's messages send the reader in its documentation: a guide
 * page of the docs site (docs/guide/<page>.md in the repository) and the
 * section's anchor. One list, so that a page or heading renamed is renamed here once;
 * test/docs/pointers.test.ts checks that each page and heading exists.
 */
export const DOCS_POINTERS = {
  /** What an alarm description has no room for: reaching the database, silencing, escalating. */
  onCall: 'docs guide/on-call',
  /** The directives, Flyway's executeInTransaction=false among them. */
  directives: 'docs guide/migration-files#directives',
  /** The guard role's GRANTs. */
  roleToGrant: 'docs guide/guard#the-role-to-grant',
  /** Why a DO block through the Data API needs CREATE on the state schema. */
  longNoTransaction: 'docs guide/aurora#long-no-transaction-statements',
} as const;
