// Baselines and checks tied to registry versions: the profile and every check report are stored in
// SQLite (quality_baselines, quality_checks) so the UI can show the last check before a batch run.
import path from 'node:path';
import type { Profile, QualityBaseline, QualityReport } from '../../contract/quality';
import type { AppContext } from '../AppContext';
import { HallmarkError } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { checkSource } from './check';
import { profileSource } from './profile';
import { openTable, type TableFormat } from './reader';

interface BaselineRow { id: number; version_id: number; created_at: string; source: string; rows: number; columns: number; profile: string }

function versionOf(ctx: AppContext, name: string, version: number): { id: number; model: string; number: number } {
  const r = ctx.registry.versionRow(name, version);
  return { id: r.id, model: r.name, number: r.number };
}

function toBaseline(row: BaselineRow, model: string, version: number): QualityBaseline {
  return { id: row.id, model, version, version_id: row.version_id, created_at: row.created_at, source: row.source, rows: row.rows, columns: row.columns, profile: JSON.parse(row.profile) as Profile };
}

export interface QualityRunOptions {
  format?: TableFormat;
  /** Check only the first rows (the quick check before a batch run). */
  maxRows?: number;
  job?: JobHandle;
}

function progressOf(job?: JobHandle) {
  return job ? (bytes: number, total: number | null) => job.progress(bytes, total) : undefined;
}

/** Profiles `input` (streamed) and stores it as the version's newest baseline. */
export async function saveBaseline(ctx: AppContext, name: string, version: number, input: string, opts: QualityRunOptions = {}): Promise<QualityBaseline> {
  const v = versionOf(ctx, name, version);
  const src = openTable(input, { ...(opts.format ? { format: opts.format } : {}), ...(opts.job ? { signal: opts.job.signal } : {}), onProgress: progressOf(opts.job) });
  const profile = await profileSource(src);
  const source = path.resolve(input);
  const r = ctx.db.prepare(`INSERT INTO quality_baselines (version_id, created_at, source, rows, columns, profile) VALUES (?, ?, ?, ?, ?, ?)`)
    .run(v.id, new Date().toISOString(), source, profile.rows, profile.columns.length, JSON.stringify(profile));
  return toBaseline(ctx.db.prepare(`SELECT * FROM quality_baselines WHERE id = ?`).get(Number(r.lastInsertRowid)) as BaselineRow, v.model, v.number);
}

export function getBaseline(ctx: AppContext, name: string, version: number): QualityBaseline | null {
  const v = versionOf(ctx, name, version);
  const row = ctx.db.prepare(`SELECT * FROM quality_baselines WHERE version_id = ? ORDER BY id DESC LIMIT 1`).get(v.id) as BaselineRow | undefined;
  return row ? toBaseline(row, v.model, v.number) : null;
}

/** Checks `input` against the version's newest baseline and stores the report. */
export async function checkInput(ctx: AppContext, name: string, version: number, input: string, opts: QualityRunOptions = {}): Promise<QualityReport> {
  const base = getBaseline(ctx, name, version);
  if (!base) {
    throw new HallmarkError('no_baseline', `${name}@${version} has no data-quality baseline: save one from its training data with \`hallmark quality baseline ${name}@${version} --input train.csv\``);
  }
  const src = openTable(input, { ...(opts.format ? { format: opts.format } : {}), ...(opts.job ? { signal: opts.job.signal } : {}), onProgress: progressOf(opts.job) });
  const res = await checkSource(base.profile, src, opts.maxRows ? { maxRows: opts.maxRows } : {});
  const report: QualityReport = {
    baseline_id: base.id, model: base.model, version: base.version, source: path.resolve(input), format: src.format,
    rows: res.rows, baseline_rows: base.rows, status: res.status, findings: res.findings, columns: res.columns, extra_columns: res.extra_columns,
    partial: res.partial, checked_at: new Date().toISOString(),
  };
  ctx.db.prepare(`INSERT INTO quality_checks (baseline_id, version_id, created_at, source, status, report) VALUES (?, ?, ?, ?, ?, ?)`)
    .run(base.id, base.version_id, report.checked_at, report.source, report.status, JSON.stringify(report));
  return report;
}

export function lastCheck(ctx: AppContext, name: string, version: number): QualityReport | null {
  const v = versionOf(ctx, name, version);
  const row = ctx.db.prepare(`SELECT report FROM quality_checks WHERE version_id = ? ORDER BY id DESC LIMIT 1`).get(v.id) as { report: string } | undefined;
  return row ? (JSON.parse(row.report) as QualityReport) : null;
}
