/** Is a migration running? The guard's look, kept in the engine (`engine/lock/running-migration.ts`), where `status` finds it too. */
export { LeaseTableGoneError, runningMigration } from '../../engine/lock/running-migration';
