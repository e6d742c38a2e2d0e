import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RULES } from '../../../electron/services/formats/finding';
import { toSarif } from '../../../electron/services/scan/sarif';
import { scanPaths } from '../../../electron/services/scan/scanner';
import { getCorpus } from '../../fixtures/corpus/index';

let root: string;
beforeAll(async () => {
  root = (await getCorpus()).root;
});

interface Run {
  tool: { driver: { name: string; rules: Array<{ id: string; defaultConfiguration: { level: string }; properties: Record<string, unknown> }> } };
  results: Array<{ ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: Array<{ physicalLocation: { artifactLocation: { uri: string; index?: number }; region?: { byteOffset: number } }; logicalLocations?: Array<{ fullyQualifiedName: string }> }> }>;
  artifacts: Array<{ location: { uri: string } }>;
  invocations: Array<{ executionSuccessful: boolean }>;
}

describe('SARIF export', () => {
  it('is a valid SARIF 2.1.0 log with rules, results, regions and member locations', async () => {
    const report = await scanPaths([path.join(root, 'malicious/os_system_p2.pkl'), path.join(root, 'malicious/torch_zip_payload.pt'), path.join(root, 'benign/model.onnx')]);
    const log = toSarif(report);
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toMatch(/sarif-2\.1\.0/);
    const run = log.runs[0] as Run;
    expect(run.tool.driver.name).toBe('Hallmark');
    expect(run.artifacts).toHaveLength(3);
    expect(run.invocations[0]!.executionSuccessful).toBe(true);
    for (const r of run.results) {
      expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
      expect(RULES[r.ruleId]).toBeDefined();
      expect(['error', 'warning', 'note']).toContain(r.level);
      expect(r.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/^file:\/\//);
    }
    const direct = run.results.find((r) => r.locations[0]!.physicalLocation.artifactLocation.uri.endsWith('os_system_p2.pkl'))!;
    expect(direct.locations[0]!.physicalLocation.region!.byteOffset).toBeGreaterThanOrEqual(0);
    const member = run.results.find((r) => r.locations[0]!.logicalLocations)!;
    expect(member.locations[0]!.logicalLocations![0]!.fullyQualifiedName).toBe('archive/data.pkl');
    expect(member.locations[0]!.physicalLocation.artifactLocation.uri).toMatch(/torch_zip_payload\.pt$/);
    expect(run.tool.driver.rules[0]!.properties['security-severity']).toMatch(/^\d+\.\d$/);
  });

  it('uses relative URIs for relative paths', async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const log = toSarif(await scanPaths(['malicious/os_system_p0.pkl']));
      expect((log.runs[0] as Run).artifacts[0]!.location.uri).toBe('malicious/os_system_p0.pkl');
    } finally {
      process.chdir(cwd);
    }
  });
});
