/** `mvcc-doctor corruption` as a library: find the unreadable blocks and tuples, and copy out what reads. */
export { scanCorruption, type ScanOptions } from './scan.js';
export type { BadBlock, CorruptionScan, DatabaseScan, HeapCheckFinding, ReadableRange, RelationScan, RelationStatus, ScanSummary } from './scan-report.js';
export type { ReadError } from './read-error.js';
export type { TidMethod } from './tid.js';
export { planSalvage, type SalvageOptions, type SalvagePlan } from './salvage-plan.js';
export { runSalvage, type SalvageResult, type SalvageRunOptions } from './salvage-run.js';
export { renderScan } from './scan-text.js';
export { renderSalvagePlan, renderSalvageResult } from './salvage-text.js';
export { corruptionScanCommand } from './next-step.js';
