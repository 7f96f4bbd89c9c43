import type { CheckDefinition } from '../engine/define-check.js';
import autovacuumDisabled from './autovacuum-disabled.js';
import autovacuumLag from './autovacuum-lag.js';
import autovacuumLoop from './autovacuum-loop.js';
import bloat from './bloat.js';
import checksumFailures from './checksum-failures.js';
import clogMissing from './clog-missing.js';
import deadTuples from './dead-tuples.js';
import deadlocks from './deadlocks.js';
import idleInTransaction from './idle-in-transaction.js';
import lockBlocking from './lock-blocking.js';
import longTransaction from './long-transaction.js';
import mxidWraparound from './mxid-wraparound.js';
import preparedTransaction from './prepared-transaction.js';
import queries from './queries.js';
import replicationSlot from './replication-slot.js';
import rollbacks from './rollbacks.js';
import standbyFeedback from './standby-feedback.js';
import vacuumRunning from './vacuum-running.js';
import vacuumSettings from './vacuum-settings.js';
import xidWraparound from './xid-wraparound.js';
import xminHorizon from './xmin-horizon.js';

/**
 * Every check, sorted by id (one file each, named by its id, as ESLint keeps its rules). Ids are stable: they
 * are part of the JSON output and of alert rules. Reports order findings by severity, then area, not by this list.
 */
export const CHECKS: readonly CheckDefinition[] = Object.freeze([
  autovacuumDisabled,
  autovacuumLag,
  autovacuumLoop,
  bloat,
  checksumFailures,
  clogMissing,
  deadTuples,
  deadlocks,
  idleInTransaction,
  lockBlocking,
  longTransaction,
  mxidWraparound,
  preparedTransaction,
  queries,
  replicationSlot,
  rollbacks,
  standbyFeedback,
  vacuumRunning,
  vacuumSettings,
  xidWraparound,
  xminHorizon,
]);
