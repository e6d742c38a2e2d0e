// Audits as jobs: validate everything that can fail fast (model, fingerprint file, passphrase, link)
// before queueing, run on the `audit` queue (MAX_CONCURRENT_AUDITS), store the finished report
// per model version or path. The audit's id is its job's id.
import type { AuditReport, AuditRequest, AuditSummary, StoredAudit } from '../../contract/audit';
import type { ModelRef } from '../../contract/inference';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import { asHallmarkError } from '../inference/InferenceService';
import { resolveModel, type ResolvedModel } from '../inference/modelRef';
import { runServices } from '../inference/RunServices';
import { runFingerprintAudit, selectKeys, type Prober } from './FingerprintAudit';
import type { FingerprintSet } from './fingerprints';
import { keyProviderFor, loadSet, readFingerprintFile, writeFileAtomic } from './FingerprintStore';
import { IDENTITY_PROMPTS, QUICK_COUNTS, runLinkAudit, UNRELATED_PROMPTS, validateLink, type ChatProber } from './LinkAudit';
import { renderAuditHtml } from './report';

function gguf(ctx: AppContext, ref: ModelRef): ResolvedModel {
  const m = resolveModel(ctx, ref);
  if (m.format !== 'gguf') throw new HallmarkError('wrong_format', `audits need a GGUF language model; ${quote(m.label)} is ${m.format.toUpperCase()}`);
  return m;
}

/** Greedy probes straight on the runtime (with the model's LoRA adapters): audit probes are not served predictions, so they are not logged. */
function probers(ctx: AppContext, file: string, adapters: string[] = []): Prober & ChatProber {
  const llama = () => runServices(ctx).llama();
  const wrap = async <T>(fn: () => Promise<T>) => {
    try {
      return await fn();
    } catch (e) {
      throw asHallmarkError(e);
    }
  };
  const a = adapters.length ? { adapters } : {};
  return {
    complete: (prompt, maxTokens, signal) => wrap(async () => (await llama()).complete(file, prompt, { maxTokens, ...a, ...(signal ? { signal } : {}) })),
    countTokens: (text) => wrap(async () => (await llama()).countTokens(file, text, adapters.length ? adapters : undefined)),
    ask: (prompt, maxTokens, signal) => wrap(async () => (await llama()).chat(file, [{ role: 'user', content: prompt }], { maxTokens, ...a, ...(signal ? { signal } : {}) })),
  };
}

/** Opens the fingerprint set now, so a wrong passphrase or a corrupt file fails the call, not a queued job. */
async function openSet(ctx: AppContext, req: Extract<AuditRequest, { kind: 'fingerprints' }>): Promise<FingerprintSet> {
  const keys = keyProviderFor(ctx, req.passphrase);
  return 'setId' in req.fingerprints ? loadSet(ctx.db, req.fingerprints.setId, keys) : readFingerprintFile(req.fingerprints.path, keys);
}

/**
 * Who an audit is recorded for when the file probed is a stand-in: the embed's "before" audit probes a GGUF
 * converted into a temporary folder from a registered Hugging Face base, and is recorded against that base
 * version (its key, label and folder), not a path that is gone once the embed finishes.
 */
export interface AuditSubject { key: string; label: string; versionId: number | null; path: string }

export async function startAudit(ctx: AppContext, req: AuditRequest, opts: { recordAs?: AuditSubject } = {}): Promise<{ jobId: string; promise: Promise<StoredAudit> }> {
  const probed = gguf(ctx, req.model);
  const model = opts.recordAs ? { ...probed, ...opts.recordAs } : probed;
  let run: (job: { signal: AbortSignal; progress: (d: number, t: number) => void }) => Promise<AuditReport>;
  let total: number;
  if (req.kind === 'fingerprints') {
    const set = await openSet(ctx, req);
    total = selectKeys(set.fingerprints.length, req.mode).length;
    run = (job) => runFingerprintAudit(set, probers(ctx, probed.path, probed.adapters), { mode: req.mode, signal: job.signal, onProgress: job.progress });
  } else {
    let link: string;
    try {
      link = validateLink(req.link);
    } catch (e) {
      throw new HallmarkError('invalid_input', (e as Error).message);
    }
    total = req.mode === 'full' ? IDENTITY_PROMPTS.length + UNRELATED_PROMPTS.length : QUICK_COUNTS.identity + QUICK_COUNTS.unrelated;
    run = (job) => runLinkAudit(link, probers(ctx, probed.path, probed.adapters), { mode: req.mode, signal: job.signal, onProgress: job.progress, ...(req.maxTokens ? { maxTokens: req.maxTokens } : {}) });
  }
  const title = `Audit ${model.label} (${req.kind === 'fingerprints' ? 'fingerprints' : 'link'}, ${req.mode})`;
  const { id, promise } = ctx.jobs.start({ kind: 'audit', title, queue: 'audit', total }, async (job) => {
    const startedAt = new Date().toISOString();
    const report = await run({ signal: job.signal, progress: (d, t) => job.progress(d, t, `${d}/${t} probes`) });
    job.throwIfCancelled();
    const stored: StoredAudit = {
      id: job.id, model_key: model.key, model_label: model.label, version_id: model.versionId, model_path: model.path,
      kind: report.kind, mode: req.mode, verdict: report.verdict, match_rate: report.match_rate, p_value: report.p_value,
      started_at: startedAt, finished_at: new Date().toISOString(), report,
    };
    // Only finished audits are stored, in one statement: a crash or a cancel leaves no half report.
    ctx.db.prepare(`INSERT INTO audits (id, model_key, model_label, version_id, model_path, kind, mode, verdict, match_rate, p_value, report, started_at, finished_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(stored.id, stored.model_key, stored.model_label, stored.version_id, stored.model_path,
      stored.kind, stored.mode, stored.verdict, stored.match_rate, stored.p_value, JSON.stringify(report), stored.started_at, stored.finished_at);
    return stored;
  });
  promise.catch(() => undefined);
  return { jobId: id, promise };
}

interface AuditRow extends AuditSummary {
  report: string;
}

const summary = ({ report: _r, ...rest }: AuditRow): AuditSummary => rest;

export function listAudits(ctx: AppContext, opts: { model?: ModelRef | undefined; limit?: number | undefined } = {}): AuditSummary[] {
  const limit = opts.limit ?? 100;
  const rows = opts.model
    ? (ctx.db.prepare(`SELECT * FROM audits WHERE model_key = ? ORDER BY finished_at DESC LIMIT ?`).all(resolveModel(ctx, opts.model).key, limit) as AuditRow[])
    : (ctx.db.prepare(`SELECT * FROM audits ORDER BY finished_at DESC LIMIT ?`).all(limit) as AuditRow[]);
  return rows.map(summary);
}

export function getAudit(ctx: AppContext, id: string): StoredAudit {
  const row = ctx.db.prepare(`SELECT * FROM audits WHERE id = ?`).get(id) as AuditRow | undefined;
  if (!row) {
    const job = (() => {
      try {
        return ctx.jobs.get(id);
      } catch {
        return null;
      }
    })();
    if (job && job.kind === 'audit') throw new HallmarkError('not_ready', `audit ${id} has no report: its job is ${job.state}${job.error ? ` (${job.error})` : ''}`);
    throw new HallmarkError('not_found', `no audit with id ${quote(id)}`);
  }
  return { ...row, report: JSON.parse(row.report) as AuditReport };
}

/**
 * The file name the user knows: a registered version's GGUF path inside the version (vault blobs are
 * named by hash), the path's base name otherwise.
 */
function originalFileName(ctx: AppContext, a: StoredAudit): string {
  if (a.version_id !== null) {
    try {
      const files = ctx.registry.files(a.version_id);
      const f = files.find((x) => x.path.toLowerCase().endsWith('.gguf')) ?? files[0];
      if (f) return f.path;
    } catch {
      // the version was deleted since: fall back to the stored path
    }
  }
  return a.model_path.split(/[\\/]/).pop() ?? a.model_path;
}

/** The report as JSON or a self-contained HTML page; written atomically to `out` when given. */
export function exportAudit(ctx: AppContext, id: string, format: 'json' | 'html', out?: string): { format: 'json' | 'html'; content: string; path: string | null; filename: string } {
  const a = getAudit(ctx, id);
  const content = format === 'html' ? renderAuditHtml(a, { fileName: originalFileName(ctx, a) }) : JSON.stringify(a, null, 2) + '\n';
  const safe = a.model_label.replace(/[^A-Za-z0-9._@-]+/g, '_');
  const filename = `audit-${safe}-${a.finished_at.slice(0, 10)}-${a.id.slice(0, 8)}.${format}`;
  // A report is re-run and rewritten in place (CI writes report.html every run): keep overwriting.
  if (out) writeFileAtomic(out, content, 0o644, true);
  return { format, content, path: out ?? null, filename };
}
