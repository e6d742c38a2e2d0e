// Persistence of scan runs (with files and findings) and per-version inspections (migration 010).
import type { Sqlite } from '../../../native/Database';
import type { Inspection, ScanRun, VersionInspection } from '../../contract/scan';
import { HallmarkError } from '../errors';
import { SEVERITIES, type Finding, type Severity } from '../formats/finding';
import { SCANNER_NAME, worst, type FileReport, type ScanReport } from './scanner';

interface RunRow {
  id: number; version_id: number | null; target: string; status: ScanRun['status']; verdict: ScanRun['verdict'];
  worst: Severity | null; critical: number; high: number; medium: number; low: number; info: number; file_count: number;
  bytes: number; scanner_version: string; job_id: string | null; error: string | null; started_at: string;
  finished_at: string | null; duration_ms: number | null; model: string | null; number: number | null;
}

const RUN_SELECT = `SELECT s.*, m.name AS model, v.number AS number FROM scans s LEFT JOIN versions v ON v.id = s.version_id LEFT JOIN models m ON m.id = v.model_id`;

function toRun(r: RunRow): ScanRun {
  return {
    id: r.id, versionId: r.version_id, model: r.model, version: r.number, target: r.target, status: r.status,
    verdict: r.verdict, worst: r.worst, counts: { critical: r.critical, high: r.high, medium: r.medium, low: r.low, info: r.info },
    fileCount: r.file_count, bytes: r.bytes, scannerVersion: r.scanner_version, jobId: r.job_id, error: r.error,
    startedAt: r.started_at, finishedAt: r.finished_at, durationMs: r.duration_ms,
  };
}

/** Clean means nothing above info: info findings are inventory (library classes, links), not problems. */
export function verdictOf(report: ScanReport): 'clean' | 'findings' | 'error' {
  if (report.files.some((f) => f.findings.some((x) => x.severity !== 'info'))) return 'findings';
  if (report.files.some((f) => f.error)) return 'error';
  return 'clean';
}

export function saveScan(db: Sqlite, report: ScanReport, o: { versionId: number | null; target: string; jobId?: string | null }): number {
  return db.transaction(() => {
    const s = report.summary;
    const w = worst(report);
    const finished = new Date(Date.parse(report.startedAt) + report.durationMs).toISOString();
    const r = db.prepare(`INSERT INTO scans (version_id, target, status, verdict, worst, critical, high, medium, low, info, file_count, bytes, scanner_version, job_id, started_at, finished_at, duration_ms)
      VALUES (?, ?, 'done', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(o.versionId, o.target, verdictOf(report), w, s.critical, s.high, s.medium, s.low, s.info, s.files, s.bytes, report.scanner.version, o.jobId ?? null, report.startedAt, finished, report.durationMs);
    const id = Number(r.lastInsertRowid);
    const insFile = db.prepare(`INSERT OR REPLACE INTO scan_files (scan_id, path, format, bytes, error) VALUES (?, ?, ?, ?, ?)`);
    const insFinding = db.prepare(`INSERT INTO scan_findings (scan_id, severity, rule, file, location, detail) VALUES (?, ?, ?, ?, ?, ?)`);
    for (const f of report.files) {
      insFile.run(id, f.path, f.format, f.bytes, f.error ?? null);
      for (const x of f.findings) insFinding.run(id, x.severity, x.rule, x.file, x.location, x.detail);
    }
    return id;
  })();
}

export function saveFailedScan(db: Sqlite, o: { versionId: number | null; target: string; jobId?: string | null; error: string; scannerVersion: string }): number {
  const t = new Date().toISOString();
  const r = db.prepare(`INSERT INTO scans (version_id, target, status, verdict, scanner_version, job_id, error, started_at, finished_at) VALUES (?, ?, 'failed', 'error', ?, ?, ?, ?, ?)`)
    .run(o.versionId, o.target, o.scannerVersion, o.jobId ?? null, o.error, t, t);
  return Number(r.lastInsertRowid);
}

export interface ListQuery {
  versionId?: number | undefined;
  /** Every version of one model. */
  modelId?: number | undefined;
  verdict?: string | undefined;
  minSeverity?: Severity | undefined;
  rule?: string | undefined;
  sort?: 'newest' | 'severity' | undefined;
  limit: number;
  offset: number;
}

/** Rank of a run's worst finding for "severity first": critical 0 … info 4, clean 5, failed or running 6. */
const SEVERITY_RANK = `CASE s.worst WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 WHEN 'info' THEN 4 ELSE CASE WHEN s.status = 'done' THEN 5 ELSE 6 END END`;

export function listScans(db: Sqlite, q: ListQuery): { total: number; runs: ScanRun[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (q.versionId !== undefined) { parts.push('s.version_id = ?'); args.push(q.versionId); }
  if (q.modelId !== undefined) { parts.push('s.version_id IN (SELECT id FROM versions WHERE model_id = ?)'); args.push(q.modelId); }
  if (q.verdict) { parts.push('s.verdict = ?'); args.push(q.verdict); }
  if (q.minSeverity) {
    const sev = SEVERITIES.slice(0, SEVERITIES.indexOf(q.minSeverity) + 1);
    parts.push(`s.worst IN (${sev.map(() => '?').join(',')})`);
    args.push(...sev);
  }
  if (q.rule) { parts.push('EXISTS (SELECT 1 FROM scan_findings f WHERE f.scan_id = s.id AND f.rule = ?)'); args.push(q.rule); }
  const where = parts.length ? parts.join(' AND ') : '1';
  const total = (db.prepare(`SELECT count(*) AS n FROM scans s WHERE ${where}`).get(...args) as { n: number }).n;
  const rows = db.prepare(`${RUN_SELECT} WHERE ${where} ORDER BY ${q.sort === 'severity' ? `${SEVERITY_RANK}, ` : ''}s.id DESC LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset) as RunRow[];
  return { total, runs: rows.map(toRun) };
}

export function getRun(db: Sqlite, id: number): ScanRun {
  const r = db.prepare(`${RUN_SELECT} WHERE s.id = ?`).get(id) as RunRow | undefined;
  if (!r) throw new HallmarkError('not_found', `no scan with id ${id}`);
  return toRun(r);
}

export function latestRun(db: Sqlite, versionId: number): ScanRun | null {
  const r = db.prepare(`${RUN_SELECT} WHERE s.version_id = ? AND s.status = 'done' ORDER BY s.id DESC LIMIT 1`).get(versionId) as RunRow | undefined;
  return r ? toRun(r) : null;
}

/** A stored run's files and findings, optionally filtered (severity floor, rule, file prefix). */
export function getScanFiles(db: Sqlite, id: number, f: { minSeverity?: Severity; rule?: string | undefined; file?: string | undefined } = {}): FileReport[] {
  const files = db.prepare(`SELECT path, format, bytes, error FROM scan_files WHERE scan_id = ? ORDER BY path`).all(id) as Array<{ path: string; format: string; bytes: number; error: string | null }>;
  const sev = SEVERITIES.slice(0, SEVERITIES.indexOf(f.minSeverity ?? 'info') + 1);
  const args: unknown[] = [id, ...sev];
  let extra = '';
  if (f.rule) { extra += ' AND rule = ?'; args.push(f.rule); }
  const rows = db.prepare(`SELECT severity, rule, file, location, detail FROM scan_findings WHERE scan_id = ? AND severity IN (${sev.map(() => '?').join(',')})${extra} ORDER BY id`).all(...args) as Finding[];
  // Findings attach to the scanned file they belong to: the file itself or one of its archive members.
  const byFile = new Map<string, Finding[]>(files.map((x) => [x.path, []]));
  for (const r of rows) {
    const owner = byFile.has(r.file) ? r.file : files.find((x) => r.file.startsWith(`${x.path}!`))?.path;
    if (owner !== undefined) byFile.get(owner)!.push(r);
  }
  return files
    .filter((x) => !f.file || x.path === f.file || x.path.startsWith(f.file))
    .map((x) => ({ path: x.path, format: x.format as FileReport['format'], bytes: x.bytes, findings: byFile.get(x.path) ?? [], ...(x.error ? { error: x.error } : {}) }));
}

/** Rebuilds the full report of a stored run (for JSON/SARIF export). */
export function reportOf(db: Sqlite, id: number): ScanReport {
  const run = getRun(db, id);
  const files = getScanFiles(db, id);
  return {
    scanner: { name: SCANNER_NAME, version: run.scannerVersion },
    startedAt: run.startedAt,
    durationMs: run.durationMs ?? 0,
    files,
    summary: { ...run.counts, files: run.fileCount, bytes: run.bytes },
  };
}

export function saveInspection(db: Sqlite, versionId: number, v: { format: string; inspection: Inspection; files: Array<{ path: string; metadata: Inspection; error: string | null }>; inspectorVersion: string }): void {
  db.transaction(() => {
    const t = new Date().toISOString();
    db.prepare(`INSERT OR REPLACE INTO version_inspections (version_id, format, metadata, inspector_version, inspected_at) VALUES (?, ?, ?, ?, ?)`)
      .run(versionId, v.format, JSON.stringify(v.inspection), v.inspectorVersion, t);
    db.prepare(`DELETE FROM version_file_inspections WHERE version_id = ?`).run(versionId);
    const ins = db.prepare(`INSERT INTO version_file_inspections (version_id, path, format, metadata, error) VALUES (?, ?, ?, ?, ?)`);
    for (const f of v.files) ins.run(versionId, f.path, f.metadata.format, JSON.stringify(f.metadata), f.error);
    // The registry's format column was a guess from names; the bytes decide.
    db.prepare(`UPDATE versions SET format = ? WHERE id = ?`).run(v.format, versionId);
  })();
}

export function getInspection(db: Sqlite, versionId: number): VersionInspection | null {
  const r = db.prepare(`SELECT * FROM version_inspections WHERE version_id = ?`).get(versionId) as { format: string; metadata: string; inspector_version: string; inspected_at: string } | undefined;
  if (!r) return null;
  const files = db.prepare(`SELECT path, format, metadata, error FROM version_file_inspections WHERE version_id = ? ORDER BY path`).all(versionId) as Array<{ path: string; format: string; metadata: string; error: string | null }>;
  return {
    versionId, format: r.format, inspection: JSON.parse(r.metadata) as Inspection, inspectorVersion: r.inspector_version, inspectedAt: r.inspected_at,
    files: files.map((f) => ({ path: f.path, format: f.format, metadata: JSON.parse(f.metadata) as Inspection, error: f.error })),
  };
}
