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
  /** What the deployed guard role holds, and the contract planner that plans writing contracts for it. */
  guardRole: 'docs guide/guard-role#the-contract-planner',
  /** What the deployed guard role may do, and what the deploy refuses to leave it. */
  guardRoleHolds: 'docs guide/guard-role#what-the-role-holds',
  /** The migrator role the migrations run as, and the role provisioner that makes it. */
  migrator: 'docs guide/roles#the-migrator',
  /** Why a DO block through the Data API needs CREATE on the state schema. */
  longNoTransaction: 'docs guide/aurora#long-no-transaction-statements',
  /** The project file: where it is found, what wins, lint rules a team accepts (its keys: the reference page it links). */
  configuration: 'docs guide/configuration',
  /** Installing the embedded PostgreSQL, and approving its install script. */
  embeddedInstall: 'docs guide/install#the-embedded-postgresql',
} as const;
