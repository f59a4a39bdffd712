/** Is a migration running? The guard's look, kept in the engine (`engine/running-migration.ts`), where `status` finds it too. */
export { LeaseTableGoneError, runningMigration } from '../../engine/running-migration';
