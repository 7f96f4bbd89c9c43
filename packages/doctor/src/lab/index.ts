export { Cluster } from './cluster.js';
export type { ClusterOptions } from './cluster-options.js';
export { findInstallation, listInstallations, type Installation } from './installations.js';
export { LabError, type LabErrorCode } from './lab-error.js';
export { findLeftoverServers, labRoot, LAB_ROOT_ENV, sweepLab } from './lab-root.js';
export { serverUser } from './os-user.js';
export { readControlData, setNextMultiXact, setNextXid, singleUser, STOP_MARGIN, WARN_MARGIN, WRAP_DISTANCE, type ControlData } from './reset-wal.js';
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
export { xidWraparound, type XidAgedTable, type XidWraparoundFault, type XidWraparoundOptions, type XidZone } from './scenarios/xid-wraparound.js';
export { mxidWraparound, type MxidAgedTable, type MxidWraparoundFault, type MxidWraparoundOptions, type MxidZone } from './scenarios/mxid-wraparound.js';
export { corruptedPage, type CorruptedPageFault, type CorruptedPageOptions } from './scenarios/corrupted-page.js';
export { clustersInZones, type ZoneClusters } from './zone-clusters.js';
