// `hallmark inspect PATH` and `hallmark scan PATH… [--sarif] [--fail-on LEVEL]`: file-level commands that
// need no registry (CI runs them on fresh checkouts), so they never open the database.
import fs from 'node:fs';
import type { Command } from 'commander';
import { inspectPath } from '../../services/formats/inspect';
import { SEVERITIES, atLeast, type Severity } from '../../services/formats/finding';
import { toSarif } from '../../services/scan/sarif';
import { scanPaths, type ScanReport } from '../../services/scan/scanner';
import { type Cli, fmtBytes, progressPrinter } from '../Cli';

const SEV_LABEL: Record<Severity, string> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'info' };

function humanInspection(r: Record<string, unknown>): string {
  const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  const lines = [`format: ${text(r.format)}${r.compression ? ` (${text(r.compression)})` : ''}`];
  const keys = ['architecture', 'name', 'contextLength', 'fileType', 'parameterCount', 'tensorCount', 'quantization', 'dtypes', 'tokenizerModel', 'vocabSize',
    'opset', 'producerName', 'nodeCount', 'variant', 'protocol', 'pickles', 'imports', 'className', 'layerCount', 'lambdaLayers', 'kerasVersion',
    'metaGraphs', 'model_type', 'architectures', 'objective', 'numTrees', 'entryCount', 'arrayCount', 'fileCount', 'weightFormats', 'shape', 'dtype', 'error'];
  for (const k of keys) {
    const v = r[k];
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    const s = text(v);
    lines.push(`${k}: ${s.length > 200 ? s.slice(0, 200) + '…' : s}`);
  }
  if (typeof r.bytes === 'number') lines.push(`size: ${fmtBytes(r.bytes)}`);
  if (Array.isArray(r.inputs) && r.inputs.length) lines.push(`inputs: ${(r.inputs as Array<{ name: string; type: string; shape: unknown }>).map((i) => `${i.name} ${i.type} ${JSON.stringify(i.shape)}`).join(', ')}`);
  if (Array.isArray(r.outputs) && r.outputs.length) lines.push(`outputs: ${(r.outputs as Array<{ name: string; type: string; shape: unknown }>).map((i) => `${i.name} ${i.type} ${JSON.stringify(i.shape)}`).join(', ')}`);
  if (typeof r.chatTemplate === 'string') lines.push(`chat template: ${r.chatTemplate.length} chars`);
  if (Array.isArray(r.issues) && r.issues.length) lines.push(`issues:\n${(r.issues as unknown[]).slice(0, 20).map((i) => `  - ${typeof i === 'string' ? i : JSON.stringify(i)}`).join('\n')}`);
  return lines.join('\n');
}

function humanReport(r: ScanReport, threshold: Severity | 'never'): string {
  const out: string[] = [];
  for (const f of r.files) {
    const shown = f.findings.filter((x) => x.severity !== 'info');
    const head = `${f.path} [${f.format}] ${fmtBytes(f.bytes)}`;
    if (!shown.length && !f.error) {
      out.push(`${head}: clean`);
      continue;
    }
    out.push(`${head}:${f.error ? ` error: ${f.error}` : ''}`);
    for (const x of shown) out.push(`  ${SEV_LABEL[x.severity].padEnd(8)} ${x.rule}  ${x.file === f.path ? '' : `${x.file.slice(f.path.length)} `}${x.location}\n           ${x.detail}`);
  }
  const s = r.summary;
  out.push(`\n${s.files} file(s), ${fmtBytes(s.bytes)} in ${r.durationMs} ms: ${s.critical} critical, ${s.high} high, ${s.medium} medium, ${s.low} low${threshold === 'never' ? '' : ` (failing at ${threshold} and above)`}`);
  return out.join('\n');
}

export function registerScanCommands(program: Command, cli: Cli): void {
  program.command('inspect')
    .description('detect the format of a file or folder and print its metadata (headers only, nothing is loaded)')
    .argument('<path>')
    .action(async (p: string) => {
      if (!fs.existsSync(p)) cli.fail(`cannot inspect ${JSON.stringify(p)}: no such file or folder`);
      const r = await inspectPath(p);
      cli.out(r, () => humanInspection(r));
      if (typeof r.error === 'string') cli.fail(`${p}: ${r.error}`, 2);
    });

  program.command('scan')
    .description('static security scan of model files, folders and archives (never loads them)')
    .argument('<paths...>')
    .option('--sarif', 'print a SARIF 2.1.0 log instead')
    .option('--fail-on <level>', `exit 1 when a finding is at least this severe (${SEVERITIES.join(', ')}, never)`, 'high')
    .action(async (paths: string[], o: { sarif?: boolean; failOn: string }) => {
      const threshold = o.failOn.toLowerCase();
      if (threshold !== 'never' && !(SEVERITIES as readonly string[]).includes(threshold)) cli.fail(`invalid --fail-on ${JSON.stringify(o.failOn)}: use ${SEVERITIES.join(', ')} or never`);
      for (const p of paths) if (!fs.existsSync(p)) cli.fail(`cannot scan ${JSON.stringify(p)}: no such file or folder`);
      const tty = (cli.stderr as NodeJS.WriteStream).isTTY === true;
      const show = tty ? progressPrinter(cli, 'scan') : null;
      // A CLI run is a batch process: synchronous reads skip a thread-pool round trip per read.
      const report = await scanPaths(paths, { blockingIo: true, ...(show ? { onProgress: (d: number, t: number) => show(d, t) } : {}) });
      if (tty) cli.stderr.write('\n');
      if (o.sarif) cli.stdout.write(JSON.stringify(toSarif(report), null, 2) + '\n');
      else cli.out(report, () => humanReport(report, threshold as Severity | 'never'));
      const hits = threshold === 'never' ? 0 : report.files.reduce((a, f) => a + f.findings.filter((x) => atLeast(x.severity, threshold as Severity)).length, 0);
      if (hits > 0) cli.fail(`${hits} finding(s) at or above ${threshold}`, 1);
      const failed = report.files.filter((f) => f.error);
      if (failed.length) cli.fail(`could not scan ${failed.length} file(s): ${failed[0]!.path}: ${failed[0]!.error}`, 2);
    });
}
