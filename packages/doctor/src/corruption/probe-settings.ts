/**
 * Settings of every session that reads a damaged table by ctid, in the startup packet: a TID scan whatever the
 * role's defaults, and never a Seq Scan — with a filter on ctid it would read every block, the bad ones included
 * (the planner picks one for a table of a page or two); no JIT (compiling a probe costs more than running it), no
 * parallel workers (a probe reads a few blocks).
 */
export const PROBE_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  enable_tidscan: 'on',
  enable_seqscan: 'off',
  jit: 'off',
  max_parallel_workers_per_gather: '0',
});
