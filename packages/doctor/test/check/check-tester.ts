import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/collect/snapshot.js';
import type { CheckDefinition } from '../../src/engine/define-check.js';
import type { Finding, FindingDraft } from '../../src/engine/finding.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from '../../src/engine/thresholds.js';
import type { Report } from '../../src/report/report.js';

/** A pure case: rows in, findings out, no server. */
export interface EvaluateCase {
  /** What the case shows, as the test name. */
  name: string;
  snapshot: Snapshot;
  /** Over DEFAULT_THRESHOLDS. */
  thresholds?: Partial<Thresholds>;
  /** Faulty cases: the findings in order, each matched with toMatchObject (so list only what matters). */
  findings?: Record<string, unknown>[];
  /** Further assertions on what evaluate returned. */
  verify?: (findings: FindingDraft[]) => void;
}

/**
 * A real-cluster case. It returns the report (or the findings) that proves it: the tester then demands at
 * least one finding of the check for a faulty case and none for a healthy one, so no case can pass vacuously.
 */
export type ClusterCase<T> = (env: T) => Promise<Report | Finding[]>;

/** Cases that share what `start` makes (a cluster, zone clusters, a primary and its standby), started once. */
export interface ClusterSuite<T extends { destroy(): Promise<unknown> }> {
  /** What runs, e.g. "PostgreSQL 18". */
  name: string;
  start: () => Promise<T>;
  /** Why the suite cannot run here (e.g. no pg_resetwal); it is then skipped, not passed. */
  skip?: string | false;
  /** Healthy cases run first, in order, then the faulty ones, in order. */
  healthy?: Record<string, ClusterCase<T>>;
  faulty?: Record<string, ClusterCase<T>>;
}

export interface CheckTests {
  evaluate: { faulty: EvaluateCase[]; healthy: EvaluateCase[] };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each suite has its own environment type
  cluster: ClusterSuite<any>[];
}

/** Identity, so a suite's environment type is inferred from its `start`. */
export function suite<T extends { destroy(): Promise<unknown> }>(s: ClusterSuite<T>): ClusterSuite<T> {
  return s;
}

/**
 * Like ESLint's RuleTester: one call per check file. It refuses a check without a pure case that finds and
 * one that stays silent, and without a faulty and a healthy real-cluster case; and every finding must be
 * of a severity the check's meta declares.
 */
export function testCheck(check: CheckDefinition, tests: CheckTests): void {
  const missing = [
    tests.evaluate.faulty.length === 0 && 'a faulty evaluate case',
    tests.evaluate.healthy.length === 0 && 'a healthy evaluate case',
    !tests.cluster.some((s) => Object.keys(s.faulty ?? {}).length > 0) && 'a faulty real-cluster case',
    !tests.cluster.some((s) => Object.keys(s.healthy ?? {}).length > 0) && 'a healthy real-cluster case',
  ].filter(Boolean);
  if (missing.length) throw new Error(`testCheck(${check.id}) needs ${missing.join(', ')}`);

  const declared = Object.keys(check.meta.severities);
  const evaluate = (c: EvaluateCase) => check.evaluate(c.snapshot, { thresholds: { ...DEFAULT_THRESHOLDS, ...c.thresholds } });

  describe(`${check.id}: evaluate on row fixtures`, () => {
    for (const c of tests.evaluate.faulty) {
      it(`faulty: ${c.name}`, () => {
        const findings = evaluate(c);
        expect(findings.length, 'a faulty case must find something').toBeGreaterThan(0);
        for (const f of findings) {
          expect(declared, `severity ${f.severity} is not in meta.severities`).toContain(f.severity);
          expect(f.summary.length).toBeGreaterThan(0);
        }
        if (c.findings) {
          expect(findings).toHaveLength(c.findings.length);
          c.findings.forEach((expected, i) => expect(findings[i]).toMatchObject(expected));
        }
        c.verify?.(findings);
      });
    }
    for (const c of tests.evaluate.healthy) {
      it(`healthy: ${c.name}`, () => {
        expect(evaluate(c)).toEqual([]);
        c.verify?.([]);
      });
    }
  });

  for (const s of tests.cluster) {
    describe.skipIf(Boolean(s.skip))(`${check.id} on ${s.name}${s.skip ? ` (skipped: ${s.skip})` : ''}`, () => {
      let env: { destroy(): Promise<unknown> } | undefined;
      beforeAll(async () => {
        env = await s.start();
      });
      afterAll(async () => {
        await env?.destroy();
      });
      for (const [name, run] of Object.entries(s.healthy ?? {})) {
        it(`healthy: ${name}`, async () => {
          expect(ofCheck(await run(env), check.id)).toEqual([]);
        });
      }
      for (const [name, run] of Object.entries(s.faulty ?? {})) {
        it(`faulty: ${name}`, async () => {
          const findings = ofCheck(await run(env), check.id);
          expect(findings.length, 'a faulty case must prove a finding of this check').toBeGreaterThan(0);
          for (const f of findings) expect(declared, `severity ${f.severity} is not in meta.severities`).toContain(f.severity);
        });
      }
    });
  }
}

function ofCheck(result: Report | Finding[], id: string): Finding[] {
  return (Array.isArray(result) ? result : result.findings).filter((f) => f.check === id);
}
