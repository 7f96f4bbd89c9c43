import { describe, expect, it } from 'vitest';
import type { VerifyFinding, VerifyGap } from './verification.js';
import { verifyExitCode } from './verify-report.js';

const finding = (severity: VerifyFinding['severity']): VerifyFinding => ({ check: 'orphan-rows', severity, subject: {}, summary: 's', evidence: [], why: 'w', remediation: [] });
const gap: VerifyGap = { verification: 'orphan-rows', reason: 'statement_timeout' };

describe('verify exit codes', () => {
  it('are check\'s: 2 critical, 1 warning, 0 clean', () => {
    expect(verifyExitCode([finding('warning'), finding('critical')], [])).toBe(2);
    expect(verifyExitCode([finding('warning')], [])).toBe(1);
    expect(verifyExitCode([], [])).toBe(0);
  });

  it('are 3 when nothing was found but something did not finish: it cannot vouch for the data', () => {
    expect(verifyExitCode([], [gap])).toBe(3);
    expect(verifyExitCode([finding('critical')], [gap])).toBe(2);
  });
});
