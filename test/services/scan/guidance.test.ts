import { describe, expect, it } from 'vitest';
import { RULES } from '../../../electron/services/formats/finding';
import { guidance, ruleCatalog } from '../../../electron/services/scan/guidance';
import { toSarif } from '../../../electron/services/scan/sarif';

describe('finding guidance', () => {
  it('every rule says what loading does and how to fix it', () => {
    const missing = Object.keys(RULES).filter((id) => !guidance(id));
    expect(missing).toEqual([]);
    for (const r of ruleCatalog()) {
      expect(r.impact, r.id).toMatch(/\w{4,}/);
      expect(r.fix, r.id).toMatch(/\w{4,}/);
    }
  });

  it('pickle code execution points to safetensors and weights_only', () => {
    const g = guidance('pickle.dangerous-import')!;
    expect(g.impact).toMatch(/run shell commands/);
    expect(g.fix).toMatch(/safetensors/);
    expect(g.fix).toMatch(/weights_only=True/);
  });

  it('SARIF rule help carries the guidance as markdown (GitHub shows it on the alert)', () => {
    const report = {
      scanner: { name: 'hallmark-scan', version: '2.0.0' }, startedAt: new Date(0).toISOString(), durationMs: 1,
      files: [{ path: '/m/crash.pkl', format: 'pickle' as const, bytes: 39, findings: [{ severity: 'critical' as const, rule: 'pickle.dangerous-import', file: '/m/crash.pkl', location: 'byte 2', detail: 'os.system comes from os' }] }],
      summary: { critical: 1, high: 0, medium: 0, low: 0, info: 0, files: 1, bytes: 39 },
    };
    const rule = (toSarif(report) as unknown as { runs: Array<{ tool: { driver: { rules: Array<{ help: { markdown?: string } }> } } }> }).runs[0]!.tool.driver.rules[0]!;
    expect(rule.help.markdown).toMatch(/\*\*How to fix:\*\*.*weights_only=True/);
  });
});
