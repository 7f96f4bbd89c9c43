export { Cluster } from './cluster.js';
export type { ClusterOptions } from './cluster-options.js';
export { findInstallation, listInstallations, type Installation } from './installations.js';
export { LabError, type LabErrorCode } from './lab-error.js';
export { findLeftoverServers, labRoot, LAB_ROOT_ENV, sweepLab } from './lab-root.js';
export { serverUser } from './os-user.js';
