// `hallmark quality baseline|check NAME@V --input FILE`: data quality of a tabular input against a
// baseline saved from the version's training data.
import type { Command } from 'commander';
import type { QualityReport } from '../../contract/quality';
import { HallmarkError } from '../../services/errors';
import { parseRef } from '../../services/registry/Registry';
import { type Cli, progressPrinter } from '../Cli';

type Fmt = 'csv' | 'jsonl' | undefined;

function ref(cli: Cli, s: string): { name: string; version: number } {
  const r = parseRef(s);
  if (r.version === undefined) return cli.fail(`give the version: ${s}@VERSION (a baseline belongs to one version)`);
  return { name: r.name, version: r.version };
}

function format(cli: Cli, f: string | undefined): Fmt {
  if (f === undefined) return undefined;
  if (f !== 'csv' && f !== 'jsonl') return cli.fail(`--format must be csv or jsonl, got ${JSON.stringify(f)}`);
  return f;
}

/** An unreadable input (or no baseline) is "could not run", exit 2, whatever the service threw. */
async function runOr2<T>(cli: Cli, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof HallmarkError) return cli.fail(e.message, 2);
    throw e;
  }
}

export function human(r: QualityReport): string {
  const lines = [`${r.model}@${r.version}: ${r.status.toUpperCase()} — ${r.partial ? 'the first ' : ''}${r.rows} row(s) of ${r.source} against a baseline of ${r.baseline_rows}`];
  for (const f of r.findings) lines.push(`  [${f.severity}] ${f.message}\n         → ${f.advice}`);
  if (!r.findings.length) lines.push('  no findings: missingness, drift, outliers and schema match the baseline');
  lines.push('', 'column                       type         missing     PSI      z     outliers  status');
  for (const c of r.columns) {
    const n = (x: number | null, d = 3) => (x === null ? '—' : x.toFixed(d));
    lines.push(`${c.name.slice(0, 28).padEnd(29)}${c.type.padEnd(13)}${(c.missing_frac === null ? 'absent' : (c.missing_frac * 100).toFixed(1) + '%').padEnd(12)}${n(c.psi).padEnd(9)}${n(c.z, 1).padEnd(6)}${(c.outlier_frac === null ? '—' : (c.outlier_frac * 100).toFixed(2) + '%').padEnd(10)}${c.status}`);
  }
  return lines.join('\n');
}

export function registerQualityCommands(program: Command, cli: Cli): void {
  const q = program.command('quality').description('data quality of a tabular input (CSV or JSON lines) against a saved per-version baseline');

  q.command('baseline <ref>')
    .description('profile training data (streamed) and save it as the baseline of NAME@VERSION')
    .requiredOption('--input <file>', 'CSV (header row) or JSON lines (.jsonl/.ndjson) file')
    .option('--format <f>', 'csv or jsonl (default: from the file name)')
    .action(async (r: string, o: { input: string; format?: string }) => {
      const { name, version } = ref(cli, r);
      const fmt = format(cli, o.format);
      const { saveBaseline } = await import('../../services/quality/QualityService');
      const ctx = cli.ctx();
      const print = progressPrinter(cli, 'profile');
      const b = await runOr2(cli, () => ctx.jobs.run({ kind: 'quality-baseline', title: `Data-quality baseline for ${name}@${version}`, queue: 'quality' }, (job) => {
        const orig = job.progress.bind(job);
        return saveBaseline(ctx, name, version, o.input, { ...(fmt ? { format: fmt } : {}), job: { ...job, progress: (d, t, m) => { orig(d, t, m); print(d, t ?? null); } } });
      }));
      cli.out(b, () => [`baseline ${b.id} saved for ${b.model}@${b.version}: ${b.rows} rows, ${b.columns} columns`,
        ...b.profile.columns.map((c) => `  ${c.name}: ${c.type}, ${(c.missing_frac * 100).toFixed(1)}% missing${c.numeric ? `, mean ${c.numeric.mean.toPrecision(4)} std ${c.numeric.std.toPrecision(4)}` : `, ${c.categorical!.distinct} categories`}`)].join('\n'));
    });

  q.command('check <ref>')
    .description('check an input against the baseline: missingness, drift (PSI, z), outliers, new categories, schema; exit 1 on warnings')
    .requiredOption('--input <file>', 'CSV or JSON lines file to check')
    .option('--format <f>', 'csv or jsonl (default: from the file name)')
    .option('--max-rows <n>', 'check only the first N rows (a quick look before a long run)')
    .action(async (r: string, o: { input: string; format?: string; maxRows?: string }) => {
      const maxRows = o.maxRows === undefined ? undefined : Number(o.maxRows);
      if (maxRows !== undefined && !(Number.isInteger(maxRows) && maxRows >= 1)) cli.fail(`--max-rows must be a whole number ≥ 1, got ${JSON.stringify(o.maxRows)}`);
      const { name, version } = ref(cli, r);
      const fmt = format(cli, o.format);
      const { checkInput } = await import('../../services/quality/QualityService');
      const ctx = cli.ctx();
      const print = progressPrinter(cli, 'check');
      const report = await runOr2(cli, () => ctx.jobs.run({ kind: 'quality-check', title: `Data-quality check for ${name}@${version}`, queue: 'quality' }, (job) => {
        const orig = job.progress.bind(job);
        return checkInput(ctx, name, version, o.input, { ...(fmt ? { format: fmt } : {}), ...(maxRows ? { maxRows } : {}), job: { ...job, progress: (d, t, m) => { orig(d, t, m); print(d, t ?? null); } } });
      }));
      cli.out(report, () => human(report));
      if (report.status !== 'ok') cli.fail('', 1);
    });
}
