/** mvcc-doctor's public API. The lab (throwaway clusters and fault scenarios) is the private workspace package @mvcc-doctor/lab. */
export { VERSION } from './version.js';
export { diagnose, type DiagnoseOptions } from './diagnose.js';
export { resolveConnOptions, type ConnOptions, type ConnInputs } from './connect/conn-options.js';
export { DoctorError, type DoctorErrorCode } from './connect/doctor-error.js';
export { CHECKS } from './checks/index.js';
export type { Finding, Severity, Subject, Origin } from './engine/finding.js';
export { DEFAULT_THRESHOLDS, type Thresholds } from './engine/thresholds.js';
export type { Report } from './report/report.js';
export { renderTerminal } from './report/terminal.js';
export { renderMarkdown } from './report/markdown.js';
export * from './rescue/index.js';
