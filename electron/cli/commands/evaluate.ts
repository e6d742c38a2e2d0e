// `hallmark predict`, `hallmark predictions get|list|show`, `hallmark compare-predictions` and `hallmark meta`:
// batch predictions of tabular models (ONNX in-process, others in the Python worker), materialized results
// fetched with a maximum age, A/B comparisons, and a model's framework/type metadata.
import type { Command } from 'commander';
import type { Cli } from '../Cli';

const positive = (cli: Cli, v: string | undefined, what: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) return cli.fail(`${what} must be a positive number; got ${JSON.stringify(v)}`);
  return n;
};
const nonNegative = (cli: Cli, v: string | undefined, what: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) return cli.fail(`${what} must be a number ≥ 0; got ${JSON.stringify(v)}`);
  return n;
};
const runtimeOf = (cli: Cli, v: string | undefined): 'auto' | 'onnx' | 'python' => {
  if (v === undefined || v === 'auto' || v === 'onnx' || v === 'python') return v ?? 'auto';
  return cli.fail(`--runtime must be auto, onnx or python; got ${JSON.stringify(v)}`);
};
const fmt = (n: number | null | undefined, d = 3) => (typeof n === 'number' ? n.toFixed(d) : '—');

/** Runs a job with SIGINT/SIGTERM cancelling it (the batch stays resumable) and progress on stderr. */
async function runJob<T>(cli: Cli, start: () => { jobId: string; promise: Promise<T> }): Promise<T> {
  const ctx = cli.ctx();
  const { jobId, promise } = start();
  const onJob = (j: { id: string; message: string | null; doneBytes: number; totalBytes: number | null }) => {
    if (j.id === jobId && j.message && !cli.json) cli.note(`${j.totalBytes ? `${Math.round((j.doneBytes / j.totalBytes) * 100)}% ` : ''}${j.message}`);
  };
  ctx.jobs.on('job', onJob);
  const cancel = () => ctx.jobs.cancel(jobId);
  process.once('SIGTERM', cancel);
  process.once('SIGINT', cancel);
  try {
    return await promise;
  } finally {
    ctx.jobs.off('job', onJob);
    process.off('SIGTERM', cancel);
    process.off('SIGINT', cancel);
  }
}

export function registerEvaluateCommands(program: Command, cli: Cli): void {
  program.command('predict')
    .description('batch predictions of a tabular model over a CSV or JSONL file, materialized per entity id')
    .argument('[ref]', 'NAME@VERSION (omit with --resume)')
    .option('--input <file>', 'CSV (header row) or JSONL (.jsonl/.ndjson) dataset; streamed, any size')
    .option('--id-column <col>', 'entity id column (default: id when present, else the line number)')
    .option('--label-column <col>', 'ground truth column: stored with the results, never fed to the model')
    .option('--output <file>', 'also write the results as JSON Lines (entity, line, prediction, probabilities, error)')
    .option('--ttl <seconds>', 'how long the materialized predictions stay valid (default: until replaced)')
    .option('--chunk-rows <n>', 'rows per call to the runtime (default 1000)')
    .option('--runtime <r>', 'auto (ONNX when the version has an .onnx file) | onnx | python', 'auto')
    .option('--file <path>', 'which file of the version to run (when it has several)')
    .option('--allow-pickle', 'load a pickle (its scan must have passed): unpickling runs code from the file, in the isolated Python worker')
    .option('--resume <batch>', 'continue an interrupted batch from its last committed chunk')
    .action(async (ref: string | undefined, o: { input?: string; idColumn?: string; labelColumn?: string; output?: string; ttl?: string; chunkRows?: string; runtime?: string; file?: string; allowPickle?: boolean; resume?: string }) => {
      const svc = await import('../../services/evaluate/BatchService');
      const ctx = cli.ctx();
      let r;
      if (o.resume !== undefined) {
        const id = Number(o.resume);
        if (!Number.isInteger(id) || id <= 0) cli.fail(`--resume takes a batch id; got ${JSON.stringify(o.resume)}`);
        r = await runJob(cli, () => svc.resumeBatch(ctx, id, { allowPickle: Boolean(o.allowPickle) }));
      } else {
        if (!ref) cli.fail('give the version to run: hallmark predict NAME@VERSION --input data.csv');
        if (!o.input) cli.fail('--input is required: a CSV or JSONL dataset');
        const ttl = positive(cli, o.ttl, '--ttl');
        const chunk = positive(cli, o.chunkRows, '--chunk-rows');
        r = await runJob(cli, () => svc.startBatch(ctx, {
          model: ref, input: o.input!, runtime: runtimeOf(cli, o.runtime), allowPickle: Boolean(o.allowPickle),
          ...(o.idColumn ? { idColumn: o.idColumn } : {}), ...(o.labelColumn ? { labelColumn: o.labelColumn } : {}),
          ...(ttl ? { ttlSeconds: ttl } : {}), ...(chunk ? { chunkRows: Math.floor(chunk) } : {}), ...(o.file ? { file: o.file } : {}),
        }));
      }
      const output = o.output ? await svc.writeResults(ctx, r.batch_id, o.output) : null;
      const out = { ...r, output };
      cli.out(out, () => [
        `batch ${r.batch_id}: ${r.model} (${r.runtime}, ${r.file}) predicted ${r.rows} row(s)${r.failed ? `, ${r.failed} failed` : ''}${r.skipped ? `, ${r.skipped} routed elsewhere` : ''}`
          + `${r.rows_per_sec ? ` at ${Math.round(r.rows_per_sec)} rows/s` : ''}${r.restarts ? ` (worker restarted ${r.restarts}×)` : ''}`,
        `latency per ${r.latency.chunk_rows}-row chunk: p50 ${fmt(r.latency.p50_ms, 1)} ms, p95 ${fmt(r.latency.p95_ms, 1)} ms, p99 ${fmt(r.latency.p99_ms, 1)} ms`,
        ...r.warnings.map((w) => `warning: ${w}`),
        ...r.errors.slice(0, 10).map((e) => `error: ${e.error} (entity ${e.entity})`),
        ...(output ? [`results: ${output.path} (${output.rows} rows)`] : []),
      ].join('\n'));
      // Rows that failed are "the run found something": a pipeline must notice them.
      if (r.failed) cli.fail('', 1);
    });

  const preds = program.command('predictions').description('materialized predictions and past batches');
  preds.command('get')
    .description('the materialized prediction of one entity (exit 1 when there is none, it expired, or it is older than --max-age)')
    .argument('<ref>', 'NAME@VERSION')
    .argument('<entity>', 'entity id')
    .option('--max-age <seconds>', 'only a prediction at most this old')
    .action(async (ref: string, entity: string, o: { maxAge?: string }) => {
      const { getMaterialized } = await import('../../services/evaluate/BatchService');
      const m = getMaterialized(cli.ctx(), ref, entity, nonNegative(cli, o.maxAge, '--max-age'));
      if (!m) {
        if (cli.json) cli.stdout.write('null\n');
        cli.fail(`no fresh prediction of ${JSON.stringify(entity)} for ${ref}${o.maxAge !== undefined ? ` within ${o.maxAge} s` : ''}`, 1);
      }
      cli.out(m, () => `${m.model} ${m.entity}: ${JSON.stringify(m.prediction)}${m.probabilities ? ` ${JSON.stringify(m.probabilities)}` : ''} (${m.age_s.toFixed(0)} s old${m.expires_at ? `, expires ${m.expires_at}` : ''}, batch ${m.batch_id ?? '?'})`);
    });
  preds.command('list')
    .description('recent batches')
    .action(async () => {
      const { listBatches } = await import('../../services/evaluate/BatchService');
      const l = listBatches(cli.ctx());
      cli.out(l, () => l.map((b) => `${b.batch_id}\t${b.state}\t${b.model}\t${b.runtime}\t${b.rows} rows${b.failed ? `, ${b.failed} failed` : ''}\t${b.input}`).join('\n') || 'no batches');
    });

  program.command('compare-predictions')
    .description('A/B: run versions on the same dataset (or route rows by --weights) and compare agreement, metrics and latency')
    .argument('<refs...>', 'NAME@VERSION of each version (the first is the baseline)')
    .requiredOption('--input <file>', 'CSV or JSONL dataset')
    .option('--label-column <col>', 'ground truth: accuracy/macro-F1/ROC AUC or MAE/RMSE per version')
    .option('--id-column <col>', 'entity id column (default: id when present)')
    .option('--weights <spec>', 'weighted traffic, e.g. churn@1=0.7,churn@2=0.3 (rows routed by entity id)')
    .option('--seed <s>', 'routing seed for --weights (default "hallmark")')
    .option('--runtime <r>', 'auto | onnx | python', 'auto')
    .option('--chunk-rows <n>', 'rows per call to the runtime (default 1000)')
    .option('--allow-pickle', 'load pickles whose scan passed (they run code from the file, in the Python worker)')
    .action(async (refs: string[], o: { input: string; labelColumn?: string; idColumn?: string; weights?: string; seed?: string; runtime?: string; chunkRows?: string; allowPickle?: boolean }) => {
      const svc = await import('../../services/evaluate/CompareService');
      const ctx = cli.ctx();
      const chunk = positive(cli, o.chunkRows, '--chunk-rows');
      const weights = o.weights ? svc.parseWeights(o.weights) : undefined;
      const r = await runJob(cli, () => svc.startCompare(ctx, {
        models: refs, input: o.input, runtime: runtimeOf(cli, o.runtime), allowPickle: Boolean(o.allowPickle),
        ...(o.labelColumn ? { labelColumn: o.labelColumn } : {}), ...(o.idColumn ? { idColumn: o.idColumn } : {}),
        ...(weights ? { weights } : {}), ...(o.seed ? { seed: o.seed } : {}), ...(chunk ? { chunkRows: Math.floor(chunk) } : {}),
      }));
      cli.out(r, () => {
        const lines = [`comparison ${r.comparison_id} (${r.mode}, ${r.task}) on ${r.input}`];
        for (const v of r.versions) {
          const m = v.metrics;
          const ms = !m ? 'no labels' : r.task === 'regression' ? `MAE ${fmt(m.mae)}, RMSE ${fmt(m.rmse)}` : `accuracy ${fmt(m.accuracy)}, macro-F1 ${fmt(m.macro_f1)}, AUC ${fmt(m.roc_auc)}`;
          lines.push(`  ${v.model}${v.model === r.winner?.model ? ' (winner)' : ''}: ${v.rows} rows${v.share !== null ? ` (${(v.share * 100).toFixed(1)}% of traffic, weight ${v.weight})` : ''}; ${ms}; p50 ${fmt(v.latency.p50_ms, 1)} ms p95 ${fmt(v.latency.p95_ms, 1)} ms p99 ${fmt(v.latency.p99_ms, 1)} ms`);
        }
        if (r.agreement) lines.push(`  agreement ${(r.agreement.rate * 100).toFixed(2)}% over ${r.agreement.compared} entities`);
        for (const d of r.deltas) lines.push(`  ${d.model} − ${d.against}: ${Object.entries(d).filter(([k]) => k !== 'model' && k !== 'against').map(([k, v]) => `${k} ${typeof v === 'number' ? (v >= 0 ? '+' : '') + v.toFixed(4) : '—'}`).join(', ')}`);
        lines.push(r.winner ? `  winner: ${r.winner.model} by ${r.winner.by} (promote it: hallmark promote ${r.winner.model} production)` : '  no winner');
        for (const w of r.warnings) lines.push(`  warning: ${w}`);
        return lines.join('\n');
      });
    });

  const meta = program.command('meta').description("a model's framework and model type (detected at import; editable)");
  meta.command('set')
    .description('set framework and/or model type, e.g. hallmark meta set churn@1 framework=xgboost model_type=classification')
    .argument('<ref>', 'NAME or NAME@VERSION (the metadata belongs to the model)')
    .argument('<pairs...>', 'framework=… model_type=…')
    .action(async (ref: string, pairs: string[]) => {
      const { Framework, ModelType } = await import('../../contract/registry');
      const { parseRef } = await import('../../services/registry/Registry');
      const patch: { framework?: string; modelType?: string } = {};
      for (const p of pairs) {
        const eq = p.indexOf('=');
        const k = eq > 0 ? p.slice(0, eq) : p;
        const v = eq > 0 ? p.slice(eq + 1) : '';
        if (k === 'framework') {
          const f = Framework.safeParse(v);
          if (!f.success) cli.fail(`framework must be one of ${Framework.options.join(', ')}; got ${JSON.stringify(v)}`);
          patch.framework = f.data;
        } else if (k === 'model_type' || k === 'type') {
          const t = ModelType.safeParse(v);
          if (!t.success) cli.fail(`model_type must be one of ${ModelType.options.join(', ')}; got ${JSON.stringify(v)}`);
          patch.modelType = t.data;
        } else cli.fail(`unknown field ${JSON.stringify(k)}: use framework=… or model_type=…`);
      }
      const name = parseRef(ref).name;
      const m = cli.ctx().registry.update(name, patch);
      const out = { model: m.name, framework: m.framework, model_type: m.modelType };
      cli.out(out, () => `${out.model}: framework ${out.framework}, model type ${out.model_type}`);
    });
  meta.command('detect')
    .description("what the files' headers say (pickle imports, objectives, ONNX outputs, GGUF metadata); --apply sets it")
    .argument('<ref>', 'NAME@VERSION')
    .option('--apply', 'set the detected framework and type on the model')
    .action(async (ref: string, o: { apply?: boolean }) => {
      const { detectVersionMeta } = await import('../../services/evaluate/detect');
      const { parseRef } = await import('../../services/registry/Registry');
      const ctx = cli.ctx();
      const r = parseRef(ref);
      const v = ctx.registry.version(r.name, r.version);
      const d = await detectVersionMeta(ctx, v.id);
      if (o.apply && d) ctx.registry.update(v.model, { ...(d.framework ? { framework: d.framework } : {}), ...(d.modelType ? { modelType: d.modelType } : {}) });
      const out = { model: v.model, version: v.version, framework: d?.framework ?? null, model_type: d?.modelType ?? null, evidence: d?.evidence ?? [], applied: Boolean(o.apply && d) };
      cli.out(out, () => `${v.model}@${v.version}: framework ${out.framework ?? 'unknown'}, model type ${out.model_type ?? 'unknown'}${out.evidence.length ? ` (${out.evidence.join('; ')})` : ''}${out.applied ? ' — applied' : ''}`);
    });
}
