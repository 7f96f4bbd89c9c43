/** The reading layer of `mvcc-doctor logs`: server logs of every format into LogRecords. */
export { readLogRecords } from './read-log-records.js';
export { followLogRecords, type FollowOptions } from './follow-log-records.js';
export type { LogReader } from './log-reader.js';
export type { ReadOptions } from './read-options.js';
export type { ReadStats, FileStats, SkipReason, Compression } from './read-stats.js';
export { compilePrefix, type CompiledPrefix } from './prefix/compile-prefix.js';
export { detectPrefix } from './prefix/detect-prefix.js';
