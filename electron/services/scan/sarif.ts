// SARIF 2.1.0 export of a scan (GitHub code scanning, Azure DevOps and most CI security dashboards
// read it). Archive members are logical locations inside their container file's artifact.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES, type Finding, type Severity } from '../formats/finding';
import { guidance } from './guidance';
import type { ScanReport } from './scanner';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
// GitHub's `security-severity` scale (0-10) drives its critical/high/medium/low labels.
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

function artifactUri(file: string): string {
  if (path.isAbsolute(file)) return pathToFileURL(file).href;
  return file.split(path.sep).join('/').split('/').map(encodeURIComponent).join('/');
}

function splitMember(file: string): { container: string; member: string | null } {
  const i = file.indexOf('!');
  return i < 0 ? { container: file, member: null } : { container: file.slice(0, i), member: file.slice(i + 1) };
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: unknown[];
}

export function toSarif(report: ScanReport): SarifLog {
  const findings: Finding[] = report.files.flatMap((f) => f.findings);
  const ruleIds = [...new Set(findings.map((f) => f.rule))].sort();
  const worstByRule = new Map<string, Severity>();
  const order: Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
  for (const f of findings) {
    const w = worstByRule.get(f.rule);
    if (!w || order.indexOf(f.severity) > order.indexOf(w)) worstByRule.set(f.rule, f.severity);
  }
  const helpOf = (id: string, base: string) => {
    const g = guidance(id);
    if (!g) return { text: base };
    return { text: `${base}\nIf loaded: ${g.impact}\nFix: ${g.fix}`, markdown: `${base}\n\n**If this file is loaded:** ${g.impact}\n\n**How to fix:** ${g.fix}` };
  };
  const rules = ruleIds.map((id) => {
    const r = RULES[id];
    const sev = worstByRule.get(id) ?? 'medium';
    return {
      id,
      name: id.replace(/[.-](\w)/g, (_m, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toUpperCase()),
      shortDescription: { text: r?.title ?? id },
      fullDescription: { text: r?.help ?? id },
      // GitHub code scanning shows help.markdown on the alert: what loading does and how to fix it.
      help: helpOf(id, r?.help ?? id),
      defaultConfiguration: { level: LEVEL[sev] },
      properties: { tags: ['security', 'ml-model'], 'security-severity': SECURITY_SEVERITY[sev] },
    };
  });
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const artifacts = report.files.map((f) => ({ location: { uri: artifactUri(f.path) }, length: f.bytes, ...(f.format ? { properties: { format: f.format } } : {}) }));
  const artifactIndex = new Map(report.files.map((f, i) => [f.path, i]));
  const results = findings.map((f) => {
    const { container, member } = splitMember(f.file);
    const byte = /^byte (\d+)/.exec(f.location);
    const physical: Record<string, unknown> = { artifactLocation: { uri: artifactUri(container), ...(artifactIndex.has(container) ? { index: artifactIndex.get(container) } : {}) } };
    if (byte && !member) physical.region = { byteOffset: Number(byte[1]) };
    return {
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule),
      level: LEVEL[f.severity],
      message: { text: `${f.detail}${member ? ` (in ${member}, ${f.location})` : ` (${f.location})`}` },
      locations: [{ physicalLocation: physical, ...(member ? { logicalLocations: [{ fullyQualifiedName: member, kind: 'member' }] } : {}) }],
      properties: { severity: f.severity, location: f.location, 'security-severity': SECURITY_SEVERITY[f.severity] },
    };
  });
  const end = new Date(Date.parse(report.startedAt) + report.durationMs).toISOString();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'Hallmark', fullName: 'Hallmark model scanner', semanticVersion: report.scanner.version, version: report.scanner.version, rules } },
      invocations: [{ executionSuccessful: report.files.every((f) => !f.error), startTimeUtc: report.startedAt, endTimeUtc: end }],
      artifacts,
      results,
      columnKind: 'unicodeCodePoints',
    }],
  };
}
