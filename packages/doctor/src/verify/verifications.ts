import { heapCorruption } from './amcheck-heap.js';
import { indexCorruption } from './amcheck-indexes.js';
import { fkNotValid } from './fk-not-valid.js';
import { fkTriggersDisabled } from './fk-triggers-disabled.js';
import { invariantViolated } from './invariants.js';
import { orphanRows } from './orphan-rows.js';
import { sequenceBehind } from './sequence-behind.js';
import { triggersDisabled } from './triggers-disabled.js';
import { uniqueDuplicates } from './unique-duplicates.js';
import type { Verification } from './verification.js';

/** In the order they run: catalog reads first (seconds), then the probes that read data, amcheck last (it reads everything). */
export const VERIFICATIONS: readonly Verification[] = Object.freeze([
  fkNotValid,
  fkTriggersDisabled,
  triggersDisabled,
  sequenceBehind,
  orphanRows,
  uniqueDuplicates,
  invariantViolated,
  indexCorruption,
  heapCorruption,
]);
