/** Replication: the check before DDL on tables logical replication carries, and the wait for standbys after applying. */
export { readCarriers, type Carriers, type LogicalSlot, type Publication } from './carriers';
export { shapeChanges, type ShapeChange } from './ddl';
export { replicationCheck, type ReplicationCheckOptions } from './refusal';
export { waitForStandbys, type StandbyReport, type StandbyState, type StandbyWaitOptions } from './standbys';
