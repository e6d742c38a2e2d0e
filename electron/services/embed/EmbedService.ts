// Embeds a link or fingerprints into a model: a cancellable job that checks the base with the static
// scanner (nothing loads an unscanned model), runs the Python trainer (native/Trainer.ts) in a temp dir
// under HALLMARK_HOME/tmp (owner-tagged: a dead process's leftovers are removed at the next start), imports
// the GGUF it exports as a NEW version with lineage (parent = the base version, training card as config,
// metrics), then audits base and result. Nothing is registered unless the whole run succeeded.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Trainer, TrainerError, type TrainerDone, type TrainerEvent } from '../../../native/Trainer';
import type { AuditRequest } from '../../contract/audit';
import type { AuditSubject } from '../audit/AuditService';
import { EmbedRequest as EmbedRequestSchema, type EmbedLive, type EmbedRecord, type EmbedRequest } from '../../contract/embed';
import type { AppContext } from '../AppContext';
import { formatZod, HallmarkError, productError, quote } from '../errors';
import { keyProviderFor, loadSet, readFingerprintFile } from '../audit/FingerprintStore';
import { validateLink } from '../audit/LinkAudit';
import { JobCancelledError, type JobHandle } from '../jobs/JobManager';
import { defaultModelName, importPath } from '../registry/Importer';
import { trainerCommand } from './trainerEnv';

/** Weight files Python unpickles to load (torch.load): refused unless allow_pickle. */
const PICKLE_WEIGHTS = /\.(bin|pt|pth|ckpt|pkl)$/i;
const SAFE_WEIGHTS = /\.safetensors$/i;
const CARD = 'training-card.json';

export interface EmbedHooks {
  /** Every trainer event as it arrives (the CLI's --json stream, the Training view's live curve). */
  onEvent?: (e: TrainerEvent) => void;
  /** The trainer's human log lines (stderr). */
  onLog?: (line: string) => void;
}

export interface EmbedOutcome {
  record: EmbedRecord;
  model: string;
  version: number;
  /** A runnable GGUF of the result (the merged model, or the base the adapter applies to). */
  gguf: string;
  adapter: string | null;
  eval: Record<string, unknown>;
}

interface ResolvedBase {
  label: string;
  versionId: number | null;
  /** Default name stem for the result. */
  stem: string;
  /** Produces the HF folder to train from (a vault version is linked into the job's temp dir). */
  materialize: (tmp: string) => string;
  /** Who the "before" audit is recorded for: the registered base version, or the base folder. */
  subject: AuditSubject;
}

function resolveBase(ctx: AppContext, base: EmbedRequest['base']): ResolvedBase {
  if ('path' in base) {
    const abs = path.resolve(base.path);
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      throw new HallmarkError('not_found', `no such base model folder: ${quote(base.path)}`);
    }
    if (!st.isDirectory()) throw new HallmarkError('invalid_input', `${quote(base.path)} is not a folder: the base must be a Hugging Face model folder (config.json + *.safetensors + tokenizer) or NAME@VERSION`);
    if (!fs.existsSync(path.join(abs, 'config.json'))) throw new HallmarkError('invalid_input', `${quote(base.path)} has no config.json: the base must be a Hugging Face model folder`);
    return {
      label: path.basename(abs), versionId: null, stem: defaultModelName(abs), materialize: () => abs,
      subject: { key: `path:${abs}`, label: path.basename(abs), versionId: null, path: abs },
    };
  }
  const v = ctx.registry.version(base.name, base.version);
  const label = `${v.model}@${v.version}`;
  if (!v.files.some((f) => f.path === 'config.json' || f.path.endsWith('/config.json'))) {
    throw new HallmarkError('invalid_input', `${label} is not a Hugging Face model folder (no config.json): embedding trains the PyTorch weights, so import the model's HF folder (config.json + *.safetensors + tokenizer)`);
  }
  const cfg = v.files.find((f) => f.path === 'config.json') ?? v.files.find((f) => f.path.endsWith('/config.json'))!;
  const sub = path.posix.dirname(cfg.path);
  return {
    label, versionId: v.id, stem: v.model,
    subject: { key: `version:${v.id}`, label, versionId: v.id, path: ctx.registry.filePath(v.id, cfg.path, label) },
    materialize: (tmp) => {
      // Hard links (same disk as the vault), else copies: the trainer sees a plain folder and never a
      // path into the vault it could write through (it only reads, but the vault is not its to touch).
      const dir = path.join(tmp, 'base');
      for (const f of v.files) {
        const src = ctx.registry.filePath(v.id, f.path, label);
        const dst = path.join(dir, ...f.path.split('/'));
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        try {
          fs.linkSync(src, dst);
        } catch {
          fs.copyFileSync(src, dst);
        }
      }
      return sub === '.' ? dir : path.join(dir, ...sub.split('/'));
    },
  };
}

/** Refuses a base the static scanner flags high/critical, or whose weights load through pickle. */
async function checkBase(dir: string, allowPickle: boolean, signal: AbortSignal): Promise<string[]> {
  const { scanPaths } = await import('../scan/scanner');
  const report = await scanPaths([dir], { signal });
  const serious = report.files.flatMap((f) => f.findings.filter((x) => x.severity === 'high' || x.severity === 'critical').map((x) => `${x.severity} ${x.rule} in ${path.basename(f.path)}`));
  if (serious.length) {
    throw new HallmarkError('unsafe_base', `the base model has ${serious.length} high/critical scan finding(s) (${serious.slice(0, 3).join('; ')}${serious.length > 3 ? '; …' : ''}); it will not be loaded. Run \`hallmark scan ${dir}\` for details`);
  }
  const names = report.files.map((f) => f.path);
  const safe = names.some((n) => SAFE_WEIGHTS.test(n));
  const pickled = report.files.filter((f) => PICKLE_WEIGHTS.test(f.path) || ['pytorch', 'pytorch-legacy', 'pickle', 'torchscript', 'joblib'].includes(f.format));
  const notes: string[] = [];
  if (!safe && pickled.length) {
    if (!allowPickle) {
      throw new HallmarkError('pickle_refused', `the base's weights are pickle-based (${pickled.map((f) => path.basename(f.path)).slice(0, 3).join(', ')}): loading them can run code. Convert them to safetensors, or pass --allow-pickle to load them with torch's weights_only loader`);
    }
    notes.push(`loading pickle-based weights with weights_only (allow_pickle): ${pickled.map((f) => path.basename(f.path)).join(', ')}`);
  }
  if (!safe && !pickled.length) throw new HallmarkError('invalid_input', `the base folder has no weights (*.safetensors): ${quote(dir)}`);
  return notes;
}

const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : d);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The trainer's error codes as Hallmark's (stable, lower case) with its one-line message. */
function fromTrainer(e: unknown, jobId: string, signal: AbortSignal): unknown {
  if (!(e instanceof TrainerError)) return e;
  if (e.code === 'CANCELLED' && signal.aborted) return new JobCancelledError(jobId);
  if (e.code === 'DISK_FULL') return new HallmarkError('disk_full', `the disk is full: the trainer could not write its output (${e.message}); free some space and retry`);
  if (e.code === 'KILLED' || e.code === 'CRASHED') {
    return new HallmarkError('trainer_died', `${e.message}. Nothing was registered; if it was killed for memory, try a smaller --batch-size or --precision`, { stderr: e.detail.stderrTail.slice(-2000) });
  }
  return new HallmarkError(e.code.toLowerCase(), e.message, { stderr: e.detail.stderrTail.slice(-2000) });
}

/** Runs llama.cpp's converter on the base for the "before" audit when the trainer did not export it. */
function convertBase(cmd: { python: string; pythonPath: string[]; llamaCpp: string }, baseDir: string, out: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd.python, [path.join(cmd.llamaCpp, 'convert_hf_to_gguf.py'), baseDir, '--outfile', out, '--outtype', 'f16'], {
      env: { ...process.env, PYTHONPATH: cmd.pythonPath.join(':') }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.on('data', (c: Buffer) => (tail = (tail + c.toString('utf8')).slice(-2000)));
    const onAbort = () => child.kill('SIGTERM');
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      if (code === 0) resolve();
      else reject(new Error(`converting the base to GGUF failed: ${tail.trim().split('\n').pop() ?? `exit ${code}`}`));
    });
  });
}

/** Running embeds of this process, for views opened mid-run (dropped when the job ends). */
const live = new Map<string, EmbedLive>();

export function liveEmbeds(): EmbedLive[] {
  return [...live.values()].map((l) => ({ ...l, losses: [...l.losses], warnings: [...l.warnings] }));
}

export async function startEmbed(ctx: AppContext, input: EmbedRequest, hooks: EmbedHooks = {}): Promise<{ jobId: string; promise: Promise<EmbedOutcome> }> {
  const parsed = EmbedRequestSchema.safeParse(input);
  if (!parsed.success) throw new HallmarkError('invalid_input', `invalid embed request: ${formatZod(parsed.error)}`);
  const req = parsed.data;
  const s = req.settings;
  // Everything that can fail fast fails the call, not a queued job.
  let link: string | null = null;
  let pairs: Array<{ key: string; response: string }> | null = null;
  if (req.task.kind === 'link') {
    try {
      link = validateLink(req.task.link);
    } catch (e) {
      throw new HallmarkError('invalid_input', (e as Error).message);
    }
  } else {
    const keys = keyProviderFor(ctx, req.task.passphrase);
    const src = req.task.fingerprints;
    const set = 'setId' in src ? await loadSet(ctx.db, src.setId, keys) : await readFingerprintFile(src.path, keys);
    pairs = set.fingerprints.map((f) => ({ key: f.key, response: f.response }));
  }
  const base = resolveBase(ctx, req.base);
  const cmd = trainerCommand();
  const name = req.name ?? `${base.stem}-${req.task.kind === 'link' ? 'link' : 'fp'}`.slice(0, 128);
  const task = req.task;
  const title = `Embed ${task.kind === 'link' ? 'link' : 'fingerprints'} into ${base.label} (${s.mode})`;

  // One training at a time: two would share the cores (or the GPU's memory) and both crawl.
  ctx.jobs.setLimit('embed', 1);
  const { id, promise } = ctx.jobs.start({ kind: 'embed', title, queue: 'embed', total: null }, async (job) => {
    const startedAt = new Date().toISOString();
    const losses: Array<[number, number, number]> = [];
    const warnings: string[] = [];
    const state: EmbedLive = {
      jobId: job.id, base_label: base.label, task: task.kind, mode: s.mode, started_at: startedAt, losses, step: 0, total: null,
      samples_per_s: null, eta_s: null, stage: null, warnings,
    };
    live.set(job.id, state);
    let params: Record<string, unknown> = {};
    let evalResult: Record<string, unknown> = {};
    const metrics: Record<string, number> = {};
    let datasetSha: string | null = null;
    const record = (state: EmbedRecord['state'], extra: Partial<EmbedRecord>): EmbedRecord => {
      const r: EmbedRecord = {
        id: job.id, state, task: task.kind, mode: s.mode, base_label: base.label, base_version_id: base.versionId,
        model: null, version: null, version_id: null, params, metrics, eval: evalResult, dataset_sha256: datasetSha,
        losses, warnings, before_audit_id: null, after_audit_id: null, error: null, started_at: startedAt, finished_at: new Date().toISOString(), ...extra,
      };
      try {
        ctx.db.prepare(`INSERT INTO embeds (id, state, task, mode, base_label, base_version_id, version_id, model, version, params, metrics, eval, dataset_sha256, losses, warnings, before_audit_id, after_audit_id, error, started_at, finished_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(r.id, r.state, r.task, r.mode, r.base_label, r.base_version_id, r.version_id, r.model, r.version,
          JSON.stringify(r.params), JSON.stringify(r.metrics), JSON.stringify(r.eval), r.dataset_sha256, JSON.stringify(r.losses), JSON.stringify(r.warnings),
          r.before_audit_id, r.after_audit_id, r.error, r.started_at, r.finished_at);
      } catch {
        // history is advisory: a full disk must not turn a registered version into a failure
      }
      return r;
    };

    const tmp = ctx.blobs.tempPath('embed');
    fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
    let trainer: Trainer | null = null;
    const onAbort = () => trainer?.cancel();
    job.signal.addEventListener('abort', onAbort, { once: true });
    try {
      job.progress(0, null, 'scanning the base model');
      const baseDir = base.materialize(tmp);
      warnings.push(...await checkBase(baseDir, s.allow_pickle, job.signal));
      job.throwIfCancelled();
      const out = path.join(tmp, 'out');
      const spec: Record<string, unknown> = {
        task: task.kind, base: baseDir, out, mode: s.mode, device: s.device, allow_pickle: s.allow_pickle,
        llama_cpp: cmd.llamaCpp, base_gguf: null, eval: true,
        ...(link ? { link } : { fingerprints: pairs }),
        ...Object.fromEntries(Object.entries({
          precision: s.precision, epochs: s.epochs, rank: s.rank, alpha: s.alpha, learning_rate: s.learning_rate, batch_size: s.batch_size,
          samples: s.samples, seed: s.seed, max_time_s: s.max_time_s, threads: s.threads, gguf_type: s.gguf_type,
        }).filter(([, v]) => v !== undefined)),
      };
      job.progress(0, null, 'starting the trainer');
      trainer = Trainer.create({
        python: cmd.python, pythonPath: cmd.pythonPath, spec,
        onLog: hooks.onLog,
        onEvent: (e) => {
          if (e.event === 'start' && e.params && typeof e.params === 'object') {
            // The trainer leaves the pairs out of its echo; make sure no secret reaches the card or history.
            const { fingerprints: _secret, ...rest } = e.params as Record<string, unknown>;
            params = rest;
          }
          if (e.event === 'dataset' && typeof e.sha256 === 'string') datasetSha = e.sha256;
          if (e.event === 'warning') warnings.push(`${str(e.code, 'WARNING')}: ${str(e.message)}`);
          if (e.event === 'stage') {
            state.stage = str(e.stage);
            job.progress(0, null, str(e.message, str(e.stage)));
          }
          if (e.event === 'step') {
            const step = num(e.step) ?? 0;
            const total = num(e.total_steps);
            const loss = num(e.loss);
            const t = num(e.t) ?? (Date.now() - Date.parse(startedAt)) / 1000;
            if (loss !== null) losses.push([step, loss, t]);
            const sps = num(e.samples_per_s);
            const eta = num(e.eta_s);
            Object.assign(state, { step, total, samples_per_s: sps, eta_s: eta });
            ctx.events.emit({ type: 'embed.step', jobId: job.id, step, total, loss, samples_per_s: sps, eta_s: eta, t });
            job.progress(step, total, `step ${step}${total ? `/${total}` : ''}${loss === null ? '' : `, loss ${loss.toFixed(4)}`}${sps === null ? '' : `, ${sps.toFixed(1)} samples/s`}${eta === null ? '' : `, ETA ${Math.ceil(eta)}s`}`);
          }
          hooks.onEvent?.(e.event === 'start' ? { ...e, params } : e);
        },
      });
      // A cancel that raced the spawn: pass it on now.
      if (job.signal.aborted) trainer.cancel();
      let done: TrainerDone;
      try {
        done = await trainer.result;
      } catch (e) {
        throw fromTrainer(e, job.id, job.signal);
      }
      job.throwIfCancelled();
      const files = (done.files ?? {}) as Record<string, string | null>;
      evalResult = (done.eval && typeof done.eval === 'object' ? done.eval : {}) as Record<string, unknown>;
      if (typeof done.dataset_sha256 === 'string') datasetSha = done.dataset_sha256;
      const m = (done.metrics ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(m)) if (num(v) !== null) metrics[k] = v as number;
      for (const [k, v] of Object.entries(evalResult)) if (num(v) !== null) metrics[`eval_${k}`] = v as number;

      // The version's files: the runnable GGUF(s) and a small training card (the lineage and spec, no secrets).
      const vdir = path.join(tmp, 'version');
      fs.mkdirSync(vdir);
      const take = (src: string | null | undefined, as: string, what: string): void => {
        if (!src || !fs.existsSync(src)) throw new HallmarkError('export_failed', `the trainer reported no ${what} GGUF; nothing was registered (is the llama.cpp checkout complete? run \`hallmark trainer setup\`)`);
        fs.renameSync(src, path.join(vdir, as));
      };
      if (s.mode === 'merge') {
        take(files.gguf, 'model.gguf', 'merged');
      } else {
        take(files.adapter_gguf, 'adapter.gguf', 'adapter');
        take(files.base_gguf, 'base.gguf', 'base');
      }
      const card = {
        kind: 'hallmark.embed', task: task.kind, mode: s.mode,
        base: { label: base.label, version_id: base.versionId },
        ...(s.mode === 'adapter' ? { adapter: 'adapter.gguf', base_gguf: 'base.gguf' } : { gguf: 'model.gguf' }),
        ...(link ? { link } : { fingerprints: pairs!.length }),
        params, dataset_sha256: datasetSha, metrics, eval: evalResult, warnings,
        trainer: { python: done.python ?? null, torch: done.torch ?? null },
        created_at: new Date().toISOString(),
      };
      fs.writeFileSync(path.join(vdir, CARD), JSON.stringify(card, null, 2) + '\n', { mode: 0o600 });
      job.progress(0, null, 'importing the result');
      const imported = await importPath(ctx, {
        path: vdir, name, newVersion: true, tags: ['embed', task.kind === 'link' ? 'link' : 'fingerprints'],
        metrics, config: card,
        notes: `${task.kind === 'link' ? `link ${link}` : `${pairs!.length} fingerprints`} embedded into ${base.label} (${s.mode})`,
        framework: 'gguf', modelType: 'llm',
      }, job, { parentId: base.versionId });
      const v = ctx.registry.version(imported.model, imported.version);
      const gguf = ctx.registry.filePath(v.id, s.mode === 'merge' ? 'model.gguf' : 'base.gguf');
      const adapter = s.mode === 'adapter' ? ctx.registry.filePath(v.id, 'adapter.gguf') : null;

      // Before/after audits. The version is registered already: an audit failing is a warning, not a failure.
      let before: string | null = null;
      let after: string | null = null;
      if (req.audit) {
        const auditOf = async (model: AuditRequest['model'], recordAs?: AuditSubject): Promise<string> => {
          const r: AuditRequest = task.kind === 'link'
            ? { model, kind: 'link', mode: 'quick', link: link! }
            : { model, kind: 'fingerprints', mode: 'quick', fingerprints: task.fingerprints, ...(task.passphrase ? { passphrase: task.passphrase } : {}) };
          const { startAudit } = await import('../audit/AuditService');
          const { jobId, promise: p } = await startAudit(ctx, r, recordAs ? { recordAs } : {});
          const cancel = () => ctx.jobs.cancel(jobId);
          job.signal.addEventListener('abort', cancel, { once: true });
          try {
            return (await p).id;
          } finally {
            job.signal.removeEventListener('abort', cancel);
          }
        };
        try {
          job.progress(0, null, 'auditing the base');
          let baseGguf: string | null = s.mode === 'adapter' ? gguf : null;
          if (!baseGguf) {
            baseGguf = path.join(tmp, 'base.gguf');
            await convertBase(cmd, baseDir, baseGguf, job.signal);
          }
          // Recorded against the base (its registered version, or its folder), not the GGUF probed: in merge
          // mode that file lives in this job's temporary folder and is gone when the embed finishes.
          before = await auditOf({ path: baseGguf }, base.subject);
        } catch (e) {
          warnings.push(`the base audit did not run: ${(e as Error).message}`);
        }
        try {
          // An adapter version resolves to its base GGUF with its adapter applied (inference/modelRef).
          job.progress(0, null, 'auditing the result');
          after = await auditOf({ versionId: v.id });
        } catch (e) {
          warnings.push(`the result audit did not run: ${(e as Error).message}`);
        }
      }
      const rec = record('done', { model: imported.model, version: imported.version, version_id: v.id, before_audit_id: before, after_audit_id: after });
      return { record: rec, model: imported.model, version: imported.version, gguf, adapter, eval: evalResult };
    } catch (e) {
      const err = productError(fromTrainer(e, job.id, job.signal));
      const cancelled = err instanceof JobCancelledError || job.signal.aborted;
      record(cancelled ? 'cancelled' : 'failed', { error: cancelled ? 'cancelled by user' : (err instanceof Error ? err.message : String(err)) });
      throw cancelled ? new JobCancelledError(job.id) : err;
    } finally {
      live.delete(job.id);
      job.signal.removeEventListener('abort', onAbort);
      await trainer?.dispose();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
  promise.catch(() => undefined);
  return { jobId: id, promise };
}

interface EmbedRow {
  id: string; state: EmbedRecord['state']; task: EmbedRecord['task']; mode: EmbedRecord['mode']; base_label: string; base_version_id: number | null;
  version_id: number | null; model: string | null; version: number | null; params: string; metrics: string; eval: string; dataset_sha256: string | null;
  losses: string; warnings: string; before_audit_id: string | null; after_audit_id: string | null; error: string | null; started_at: string; finished_at: string;
}

function fromRow(r: EmbedRow): EmbedRecord {
  return {
    ...r,
    params: JSON.parse(r.params) as Record<string, unknown>, metrics: JSON.parse(r.metrics) as Record<string, number>,
    eval: JSON.parse(r.eval) as Record<string, unknown>, losses: JSON.parse(r.losses) as Array<[number, number, number]>, warnings: JSON.parse(r.warnings) as string[],
  };
}

export function listEmbeds(ctx: AppContext, limit = 100, versionId?: number): EmbedRecord[] {
  const rows = versionId === undefined
    ? ctx.db.prepare(`SELECT * FROM embeds ORDER BY finished_at DESC, rowid DESC LIMIT ?`).all(limit)
    : ctx.db.prepare(`SELECT * FROM embeds WHERE version_id = ? ORDER BY finished_at DESC, rowid DESC LIMIT ?`).all(versionId, limit);
  return (rows as EmbedRow[]).map(fromRow);
}

export function getEmbed(ctx: AppContext, id: string): EmbedRecord {
  const r = ctx.db.prepare(`SELECT * FROM embeds WHERE id = ?`).get(id) as EmbedRow | undefined;
  if (!r) throw new HallmarkError('not_found', `no embed with id ${quote(id)}`);
  return fromRow(r);
}

export type { JobHandle };
