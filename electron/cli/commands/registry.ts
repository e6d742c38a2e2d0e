import type { Command } from 'commander';
import { z } from 'zod';
import { type DangerousFindings, describeDanger, type ImportResult, Metrics, Stage, Tag } from '../../contract/registry';
import { formatZod, HallmarkError } from '../../services/errors';
import { exportVersion } from '../../services/registry/exportVersion';
import { importPath } from '../../services/registry/Importer';
import { refuseNonModel } from '../../services/registry/modelGuard';
import { parseRef } from '../../services/registry/Registry';
import { verifyVersion } from '../../services/registry/verifyVersion';
import { type Cli, fmtBytes, progressPrinter } from '../Cli';

const collect = (v: string, acc: string[]) => [...acc, v];

/** " with 1 critical finding (…)": an import that found danger must not read as a plain success. */
function importVerdict(r: ImportResult): string {
  if (r.danger) return ` with ${describeDanger(r.danger)}: see hallmark scan before loading it`;
  if (!r.scan) return ', not scanned';
  if (r.scan.verdict === 'findings') return `, scan: ${r.scan.findings} finding(s), worst ${r.scan.worst}`;
  return r.scan.verdict === 'clean' ? ', scan: clean' : ', scan: could not read every file';
}

function parseJsonOption<T>(cli: Cli, raw: string | undefined, schema: z.ZodType<T>, what: string): T | undefined {
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    return cli.fail(`${what} is not valid JSON: ${(e as Error).message} (got ${JSON.stringify(raw.slice(0, 80))})`);
  }
  const r = schema.safeParse(v);
  if (!r.success) return cli.fail(`invalid ${what}: ${formatZod(r.error)}`);
  return r.data;
}

function requireVersion(cli: Cli, ref: string): { name: string; version: number } {
  const r = parseRef(ref);
  if (r.version === undefined) return cli.fail(`${JSON.stringify(ref)} needs a version: NAME@VERSION (e.g. ${r.name}@1)`);
  return { name: r.name, version: r.version };
}

export function registerRegistryCommands(program: Command, cli: Cli): void {
  const reg = () => cli.ctx().registry;

  program.command('import')
    .description('register a file, folder or zip')
    .argument('<path>')
    .option('--name <name>', 'model name (default: from the file or folder name)')
    .option('--new-version', 'add a version even when identical content exists')
    .option('--in-place', 'keep files where they are (hash and record path, size, mtime)')
    .option('--tag <tag>', 'tag (repeatable)', collect, [])
    .option('--description <text>')
    .option('--framework <framework>')
    .option('--model-type <type>')
    .option('--metrics <json>', 'metrics as a JSON object of numbers')
    .option('--notes <text>')
    .option('--allow-unknown', 'register a single file even when its bytes match no model format Hallmark knows')
    .action(async (p: string, o: { name?: string; newVersion?: boolean; inPlace?: boolean; tag: string[]; description?: string; framework?: string; modelType?: string; metrics?: string; notes?: string; allowUnknown?: boolean }) => {
      const metrics = parseJsonOption(cli, o.metrics, Metrics, '--metrics');
      const tags = o.tag.map((t) => {
        const r = Tag.safeParse(t);
        return r.success ? r.data : cli.fail(`invalid tag ${JSON.stringify(t)}: ${r.error.issues[0]?.message}`);
      });
      const ctx = cli.ctx();
      if (!o.allowUnknown) await refuseNonModel(p);
      const show = progressPrinter(cli, 'import');
      const result = await ctx.jobs.run({ kind: 'import', title: `Import ${p}` }, (job) =>
        importPath(ctx, {
          path: p, name: o.name, newVersion: Boolean(o.newVersion), inPlace: Boolean(o.inPlace), tags, metrics,
          description: o.description, framework: o.framework as never, modelType: o.modelType as never, notes: o.notes,
        }, { ...job, progress: (d, t, m) => { job.progress(d, t, m); show(d, t ?? null); } }));
      cli.out(result, () => `${result.created ? 'imported' : 'already registered as'} ${result.model}@${result.version} (${result.files.length} file(s))${importVerdict(result)}\n` +
        result.files.map((f) => `  ${f.sha256}  ${fmtBytes(f.size).padStart(8)}  ${f.path}`).join('\n'));
    });

  program.command('list')
    .description('search the registry (one row per version)')
    .argument('[query]')
    .option('--framework <f>')
    .option('--model-type <t>')
    .option('--tag <t>')
    .option('--stage <s>')
    .option('--limit <n>', 'rows', '200')
    .action((query: string | undefined, o: { framework?: string; modelType?: string; tag?: string; stage?: string; limit: string }) => {
      const stage = o.stage === undefined ? undefined : Stage.safeParse(o.stage);
      if (stage && !stage.success) cli.fail(`invalid --stage ${JSON.stringify(o.stage)}: use none, staging, production or archived`);
      // Like --port: a typo must not silently become the default.
      if (!/^\d+$/.test(o.limit) || Number(o.limit) < 1) cli.fail(`--limit must be a positive integer, got ${JSON.stringify(o.limit)}`);
      const { rows } = reg().listVersions({ query, framework: o.framework, modelType: o.modelType, tag: o.tag, stage: stage?.data, limit: Math.min(5000, Number(o.limit)) });
      const out = rows.map((r) => ({ model: r.model, version: r.version, stage: r.stage, framework: r.framework, tags: r.tags, created_at: r.createdAt, size: r.totalSize, format: r.format }));
      cli.out(out, () => (out.length ? out.map((r) => `${`${r.model}@${r.version}`.padEnd(32)} ${r.stage.padEnd(10)} ${r.framework.padEnd(12)} ${r.tags.join(',')}`).join('\n') : 'no models match'));
    });

  program.command('versions')
    .description('versions of one model')
    .argument('<name>')
    .action((name: string) => {
      const m = reg().model(name);
      const out = m.versions.map((v) => ({ version: v.version, stage: v.stage, files: v.fileCount, size: v.totalSize, metrics: v.metrics, created_at: v.createdAt, parent: v.parent, parent_model: v.parentModel ?? null, integrity: v.integrity }));
      cli.out(out, () => out.map((v) => `v${v.version}  ${v.stage.padEnd(10)} ${String(v.files).padStart(4)} file(s) ${fmtBytes(v.size).padStart(8)}  ${v.created_at}  ${JSON.stringify(v.metrics)}`
        + (v.parent === null ? '' : `  parent ${v.parent_model && v.parent_model !== name ? `${v.parent_model}@` : 'v'}${v.parent}`)).join('\n'));
    });

  program.command('show')
    .description('one version with its files')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .action((ref: string) => {
      const r = parseRef(ref);
      const v = reg().version(r.name, r.version);
      cli.out(v, () => `${v.model}@${v.version} ${v.stage} ${v.storage}${v.sourcePath ? ' ' + v.sourcePath : ''}\n` + v.files.map((f) => `  ${f.sha256}  ${fmtBytes(f.size).padStart(8)}  ${f.path}`).join('\n'));
    });

  program.command('verify')
    .description('re-hash a version and compare with the manifest')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .option('--repair-from <path>', 'replace corrupted or missing vault files from intact copies in this file or folder (checked by hash)')
    .action(async (ref: string, o: { repairFrom?: string }) => {
      const r = parseRef(ref);
      const ctx = cli.ctx();
      const show = progressPrinter(cli, 'verify');
      const result = await ctx.jobs.run({ kind: 'verify', title: `Verify ${ref}` }, (job) =>
        verifyVersion(ctx, r.name, r.version, { ...job, progress: (d, t, m) => { job.progress(d, t, m); show(d, t ?? null); } }, { repairFrom: o.repairFrom }));
      const healed = result.repaired?.length ? result.repaired.map((x) => `  repaired ${x.path} from ${x.from}`).join('\n') + '\n' : '';
      // A version with a signature (attachment, model.sig) has it re-checked too; an invalid one fails verify.
      const { checkSignatureIfAny } = await import('../../services/signing/versions');
      const signature = await checkSignatureIfAny(ctx, result.model, result.version);
      const { describeCheck } = await import('./signing');
      cli.out(signature ? { ...result, signature } : result, () => healed + (result.ok ? `ok: ${result.model}@${result.version} matches its manifest` : `MISMATCH in ${result.model}@${result.version}:\n` + result.mismatches.map((m) => `  ${m.path}: expected ${m.expected}, got ${m.actual}`).join('\n') + (result.hint ? `\n${result.hint}` : ''))
        + (signature ? `\nsignature: ${describeCheck(signature)}` : ''));
      if (!result.ok || signature?.status === 'invalid') cli.fail('', 1);
    });

  program.command('promote')
    .description('change the stage of a version (production demotes the previous one to archived)')
    .argument('<ref>', 'NAME@VERSION')
    .argument('<stage>', 'none | staging | production | archived')
    .option('--force', 'promote to staging or production even though its latest scan found high or critical problems')
    .action((ref: string, stage: string, o: { force?: boolean }) => {
      const r = requireVersion(cli, ref);
      const s = Stage.safeParse(stage);
      if (!s.success) cli.fail(`invalid stage ${JSON.stringify(stage)}: use none, staging, production or archived`);
      // Refusing is "could not run" (exit 2) with the findings named, not "the check found something".
      let out;
      try {
        out = reg().promote(r.name, r.version, s.data, { force: Boolean(o.force) });
      } catch (e) {
        if (e instanceof HallmarkError && e.code === 'dangerous_findings') {
          const d = e.details as DangerousFindings;
          cli.fail(`refusing to promote ${r.name}@${r.version} to ${s.data}: it has ${describeDanger(d)} (scan #${d.scanId}); review them (hallmark scan, or the Security tab) and rerun with --force to promote anyway`);
        }
        throw e;
      }
      if (o.force) {
        const danger = reg().dangerousFindings(reg().versionRow(r.name, r.version).id);
        if (danger && (s.data === 'staging' || s.data === 'production')) cli.note(`warning: promoted despite ${describeDanger(danger)} (--force)`);
      }
      cli.out(out, () => `${out.model}@${out.version} → ${out.stage}${out.demoted.length ? ` (archived v${out.demoted.join(', v')})` : ''}`);
    });

  program.command('compare')
    .description('metrics and files diff of two versions')
    .argument('<a>', 'NAME@A')
    .argument('<b>', 'NAME@B')
    .action((a: string, b: string) => {
      const ra = requireVersion(cli, a);
      const rb = requireVersion(cli, b);
      const out = reg().compare(ra.name, ra.version, rb.version, rb.name);
      cli.out(out, () => [
        'metrics:',
        ...out.metrics.map((m) => `  ${m.key.padEnd(24)} ${String(m.a ?? '—').padStart(12)} → ${String(m.b ?? '—').padStart(12)}${m.delta === null ? '' : `  (${m.delta >= 0 ? '+' : ''}${m.delta.toPrecision(4)})`}`),
        `files: +${out.files.added.length} -${out.files.removed.length} ~${out.files.changed.length} =${out.files.unchanged}`,
        ...out.files.added.map((f) => `  + ${f.path}`), ...out.files.removed.map((f) => `  - ${f.path}`), ...out.files.changed.map((f) => `  ~ ${f.path}`),
      ].join('\n'));
    });

  program.command('export')
    .description('export a version as a zip')
    .argument('<ref>', 'NAME@VERSION')
    .argument('<out>', 'OUT.zip')
    .option('--force', 'export even when files no longer match the manifest (with a warning)')
    .action(async (ref: string, out: string, o: { force?: boolean }) => {
      const r = requireVersion(cli, ref);
      const ctx = cli.ctx();
      const show = progressPrinter(cli, 'export');
      const result = await ctx.jobs.run({ kind: 'export', title: `Export ${ref}` }, (job) =>
        exportVersion(ctx, r.name, r.version, out, { ...job, progress: (d, t, m) => { job.progress(d, t, m); show(d, t ?? null); } }, { force: Boolean(o.force) }));
      for (const w of result.warnings ?? []) cli.note(`warning: ${w}`);
      cli.out(result, () => `wrote ${result.path} (${fmtBytes(result.bytes)})`);
    });

  program.command('tag')
    .description('set the tags of a model')
    .argument('<name>')
    .argument('<tags...>')
    .action((name: string, tags: string[]) => {
      const parsed = tags.map((t) => {
        const r = Tag.safeParse(t);
        return r.success ? r.data : cli.fail(`invalid tag ${JSON.stringify(t)}: ${r.error.issues[0]?.message}`);
      });
      const out = reg().update(name, { tags: parsed });
      cli.out(out, () => `${out.name}: ${out.tags.join(', ')}`);
    });

  program.command('metrics')
    .description('attach metrics to a version')
    .argument('<ref>', 'NAME@VERSION')
    .argument('<json>', 'JSON object of numbers')
    .action((ref: string, json: string) => {
      const r = requireVersion(cli, ref);
      const metrics = parseJsonOption(cli, json, Metrics, 'metrics');
      const out = reg().annotate(r.name, r.version, { metrics });
      cli.out(out, () => `${out.model}@${out.version}: ${JSON.stringify(out.metrics)}`);
    });

  program.command('delete')
    .description('delete a version or a whole model')
    .argument('<ref>', 'NAME or NAME@VERSION')
    .option('--yes', 'confirm (required when not interactive)')
    .action(async (ref: string, o: { yes?: boolean }) => {
      const r = parseRef(ref);
      if (!o.yes) cli.fail(`deleting ${ref} needs --yes`);
      const m = reg().requireModel(r.name);
      const out = await reg().delete(r.name, r.version, r.version === undefined ? m.name : `${m.name}@${r.version}`);
      cli.out(out, () => `deleted ${out.deletedVersions} version(s), freed ${fmtBytes(out.freedBytes)}`);
    });

  program.command('gc')
    .description('remove blobs no version references (left by an interrupted import)')
    .action(async () => {
      const ctx = cli.ctx();
      const n = await ctx.blobs.gc((shas) => ctx.registry.reclaimBlobs(() => null, () => shas).removed);
      cli.out({ removed: n }, () => `removed ${n} unreferenced blob(s)`);
    });
}
