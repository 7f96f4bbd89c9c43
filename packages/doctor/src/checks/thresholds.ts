/** When a condition becomes a finding. Defaults suit production; tests and the demo lower them. */
export interface Thresholds {
  /** An idle-in-transaction session pinning the horizon is a warning after this many seconds, critical after 12x. */
  idleInTransactionSeconds: number;
  /** A transaction pinning the horizon is a warning after this many seconds, critical after 12x. */
  longTransactionSeconds: number;
  /** A prepared transaction is reported after this many seconds. */
  preparedTransactionSeconds: number;
  /** The horizon is reported when its oldest holder is this many XIDs behind or holds this long. */
  horizonXids: number;
  horizonSeconds: number;
  /** A lock wait is reported after this many seconds (a queue behind DDL always is). */
  lockWaitSeconds: number;
  /** Dead tuples worth reporting. */
  deadTuples: number;
  /** An inactive slot or a standby holding xmin is reported past this many XIDs of age. */
  slotXids: number;
  /** WAL a slot may retain before it is reported. */
  slotRetainedBytes: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  idleInTransactionSeconds: 60,
  longTransactionSeconds: 300,
  preparedTransactionSeconds: 60,
  horizonXids: 10_000_000,
  horizonSeconds: 600,
  lockWaitSeconds: 5,
  deadTuples: 10_000,
  slotXids: 1_000_000,
  slotRetainedBytes: 1024 ** 3,
});
