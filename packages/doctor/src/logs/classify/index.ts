export { classifyRecord, type ClassifyOptions } from './classify-record.js';
export { CLASSIFIER_NEEDLES } from './needles.js';
export { CLASS_SEVERITY } from './make-event.js';
export { DEFAULT_SLOW_MS } from './statement-events.js';
export { StatementStats, type StatementStatsOptions, type StatementSummary, type StatementSummaryEntry } from './statement-stats.js';
export { normalizeStatement } from './normalize-statement.js';
export { parseMarginalia } from './marginalia.js';
export { originOf } from './origin.js';
