/** The lab: throwaway PostgreSQL clusters and real fault scenarios, shared by tests, the demo and benchmarks. */
export { Cluster } from './cluster.js';
export type { ClusterOptions } from './cluster-options.js';
export { deadButNotRemovable, vacuumVerbose, waitFor } from './evidence.js';
export { freePort, portInUse } from './free-port.js';
export { findInstallation, listInstallations, type Installation, type InstallationWanted } from './installations.js';
export { LabError, type LabErrorCode } from './lab-error.js';
export { findLeftoverServers, labRoot, LAB_ROOT_ENV, sweepLab, type LeftoverServer } from './lab-root.js';
export { serverUser, type ServerUser } from './os-user.js';
export { readControlData, setNextMultiXact, setNextXid, singleUser, STOP_MARGIN, WARN_MARGIN, WRAP_DISTANCE, type ControlData } from './reset-wal.js';
export { startStandby, waitForReplay, type Standby, type StandbyOptions } from './standby.js';
export {
  ageTables,
  buildWraparoundTemplate,
  readAgedTables,
  wraparoundTemplate,
  type AgedTable,
  type AgedTables,
  type AgedTablesOptions,
  type WraparoundKind,
  type WraparoundTemplate,
  type WraparoundTemplateOptions,
} from './wraparound-template.js';
export { clustersInZones, type ZoneClusters } from './zone-clusters.js';
export { uniqueName, type Fault } from './scenarios/fault.js';
export { autovacuumDisabled, type AutovacuumDisabledFault, type AutovacuumDisabledOptions } from './scenarios/autovacuum-disabled.js';
export { clogMissing, writeUnhintedRows, XIDS_PER_CLOG_SEGMENT, type ClogMissingFault, type ClogMissingOptions, type LostTransactions, type UnhintedRows } from './scenarios/clog-missing.js';
export { checksumFailures, type ChecksumFailuresFault, type ChecksumFailuresOptions } from './scenarios/checksum-failures.js';
export { corruptedBlocks, type CorruptedBlocksFault, type CorruptedBlocksOptions } from './scenarios/corrupted-blocks.js';
export { deadlocks, type DeadlockSession, type DeadlocksFault, type DeadlocksOptions } from './scenarios/deadlocks.js';
export { idleInTransaction, type IdleInTransactionFault, type IdleInTransactionOptions } from './scenarios/idle-in-transaction.js';
export {
  ALL_SHOP_DAMAGE,
  inconsistentShop,
  SHOP_NAMES,
  type InconsistentShopFault,
  type InconsistentShopOptions,
  type ShopDamage,
} from './scenarios/inconsistent-shop.js';
export { lockBlocking, type LockBlockingFault, type LockBlockingOptions } from './scenarios/lock-blocking.js';
export { longTransaction, type LongTransactionFault, type LongTransactionOptions } from './scenarios/long-transaction.js';
export { mxidWraparound, type MxidAgedTable, type MxidWraparoundFault, type MxidWraparoundOptions, type MxidZone } from './scenarios/mxid-wraparound.js';
export { preparedTransaction, type PreparedLock, type PreparedTransactionFault, type PreparedTransactionOptions, type TableLockMode } from './scenarios/prepared-transaction.js';
export { replicationSlot, type ReplicationSlotFault, type ReplicationSlotOptions, type SlotState } from './scenarios/replication-slot.js';
export { standbyClogMissing, type StandbyClogMissingFault, type StandbyClogMissingOptions } from './scenarios/standby-clog-missing.js';
export { standbyFeedback, type StandbyFeedbackFault, type StandbyFeedbackOptions } from './scenarios/standby-feedback.js';
export { xidWraparound, type XidAgedTable, type XidWraparoundFault, type XidWraparoundOptions, type XidZone } from './scenarios/xid-wraparound.js';
