import type { Sqlite } from '../../../native/Database';
import type {
  AuditSummary, SignatureBrief, CompareFinding, CompareResult, DangerousFindings, FileEntry, ScanSummary, ListQuery, ModelDetail, ModelRow, Stage, VersionDetail, VersionSummary,
} from '../../contract/registry';
import { describeDanger, ListQuery as ListQuerySchema } from '../../contract/registry';
import { HallmarkError, quote } from '../errors';
import { selfOwner } from '../process/owner';
import type { BlobStore } from './BlobStore';
import fs from 'node:fs';
import path from 'node:path';

interface ModelDbRow {
  id: number; name: string; description: string; framework: string; model_type: string;
  latest_version_id: number | null; created_at: string; updated_at: string;
}
interface VersionDbRow {
  id: number; model_id: number; name: string; number: number; stage: Stage; storage: 'vault' | 'in_place';
  source_path: string | null; content_hash: string; total_size: number; file_count: number; metrics: string;
  config: string; notes: string; parent_number: number | null; parent_model: string | null; format: string | null; verified_at: string | null;
  integrity: VersionSummary['integrity']; created_at: string; framework: string; model_type: string; tags: string | null;
  description: string;
}

export interface NewVersion {
  name: string;
  description?: string | undefined;
  framework?: string | undefined;
  modelType?: string | undefined;
  tags: string[];
  storage: 'vault' | 'in_place';
  sourcePath: string | null;
  contentHash: string;
  files: Array<FileEntry & { mtimeMs?: number | null }>;
  metrics?: Record<string, number> | undefined;
  config?: Record<string, unknown> | undefined;
  notes?: string | undefined;
  format?: string | null;
  /** Reuse an identical version of this model instead of adding one. */
  dedupe: boolean;
  /** Lineage across models (a fine-tune's base version); default: the model's previous version. */
  parentId?: number | null | undefined;
}

const nowIso = () => new Date().toISOString();

const VERSION_SELECT = `
  SELECT v.*, m.name, m.framework, m.model_type, m.description,
    (SELECT group_concat(tag, ' ') FROM model_tags t WHERE t.model_id = m.id) AS tags,
    (SELECT p.number FROM versions p WHERE p.id = v.parent_id) AS parent_number,
    (SELECT pm.name FROM versions p JOIN models pm ON pm.id = p.model_id WHERE p.id = v.parent_id) AS parent_model
  FROM versions v JOIN models m ON m.id = v.model_id`;

// The Models table reads the latest version's newest finished scan and newest audit (lv = latest version).
const LATEST_SCAN_ID = `(SELECT s.id FROM scans s WHERE s.version_id = lv.id AND s.status != 'running' ORDER BY s.id DESC LIMIT 1)`;
const LATEST_AUDIT_ROWID = `(SELECT a.rowid FROM audits a WHERE a.version_id = lv.id ORDER BY a.finished_at DESC, a.rowid DESC LIMIT 1)`;
const SCAN_COLS = `ls.id AS scan_id, ls.verdict AS scan_verdict, ls.worst AS scan_worst, ls.critical + ls.high + ls.medium + ls.low + ls.info AS scan_findings, ls.finished_at AS scan_finished`;
const SIG_COLS = `lsg.status AS sig_status, lsg.method AS sig_method, lsg.signer AS sig_signer, lsg.reason AS sig_reason, lsg.checked_at AS sig_checked`;
/** Sort rank of a signature: unsigned (or never checked) < valid < unverified < invalid, so "descending" lists the riskiest first. */
const SIG_RANK = (t: string) => `CASE ${t}.status WHEN 'valid' THEN 1 WHEN 'unverified' THEN 2 WHEN 'invalid' THEN 3 ELSE 0 END`;
const AUDIT_COLS = `la.id AS audit_id, la.kind AS audit_kind, la.verdict AS audit_verdict, la.match_rate AS audit_rate, la.finished_at AS audit_finished`;
/** Sort rank of a scan: not scanned < clean < error < findings by worst severity, so "descending" lists the riskiest first. */
const SCAN_RANK = (t: string) => `CASE ${t}.verdict WHEN 'clean' THEN 1 WHEN 'error' THEN 2 WHEN 'findings' THEN 3 + CASE ${t}.worst WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END ELSE 0 END`;
/** Sort rank of an audit: none < absent < inconclusive < present (the fingerprint was found). */
const AUDIT_RANK = (t: string) => `CASE ${t}.verdict WHEN 'absent' THEN 1 WHEN 'inconclusive' THEN 2 WHEN 'present' THEN 3 ELSE 0 END`;
const MODEL_SELECT = `
  SELECT m.*, lv.id AS latest_id, lv.number AS latest, lv.stage AS stage, lv.format AS format, lv.total_size AS total_size,
    (SELECT count(*) FROM versions c WHERE c.model_id = m.id) AS version_count,
    (SELECT p.number FROM versions p WHERE p.model_id = m.id AND +p.stage = 'production') AS production, -- + keeps the per-model index
    (SELECT group_concat(tag, ' ') FROM model_tags t WHERE t.model_id = m.id) AS tags,
    (SELECT nullif(sum(json_extract(fi.metadata, '$.parameterCount')), 0) FROM version_file_inspections fi WHERE fi.version_id = lv.id) AS parameters,
    ${SCAN_COLS}, ${AUDIT_COLS}, ${SIG_COLS}
  FROM models m
    LEFT JOIN versions lv ON lv.id = m.latest_version_id
    LEFT JOIN version_signatures lsg ON lsg.version_id = lv.id
    LEFT JOIN scans ls ON ls.id = ${LATEST_SCAN_ID}
    LEFT JOIN audits la ON la.rowid = ${LATEST_AUDIT_ROWID}`;
const MODEL_ORDER: Record<ReturnType<typeof ListQuerySchema.parse>['sort'], string> = {
  name: 'm.name', updated: 'm.updated_at', size: 'lv.total_size', version: 'lv.number', stage: 'lv.stage', format: 'lv.format',
  params: 'parameters', scan: SCAN_RANK('ls'), audit: AUDIT_RANK('la'),
  signature: SIG_RANK('lsg'),
};

interface ScanCols { scan_id: number | null; scan_verdict: ScanSummary['verdict'] | null; scan_worst: ScanSummary['worst']; scan_findings: number | null; scan_finished: string | null }
interface AuditCols { audit_id: string | null; audit_kind: AuditSummary['kind'] | null; audit_verdict: AuditSummary['verdict'] | null; audit_rate: number | null; audit_finished: string | null }
interface SigCols { sig_status: SignatureBrief['status'] | null; sig_method: SignatureBrief['method']; sig_signer: string | null; sig_reason: string | null; sig_checked: string | null }
type ModelListDbRow = ModelDbRow & ScanCols & AuditCols & SigCols & {
  latest: number | null; stage: Stage | null; format: string | null; total_size: number | null; version_count: number;
  production: number | null; tags: string | null; parameters: number | null;
};

function scanSummary(r: ScanCols): ScanSummary | null {
  if (r.scan_id === null) return null;
  return { id: r.scan_id, verdict: r.scan_verdict ?? 'error', worst: r.scan_worst, findings: r.scan_findings ?? 0, finishedAt: r.scan_finished };
}

function auditSummary(r: AuditCols): AuditSummary | null {
  if (r.audit_id === null) return null;
  return { id: r.audit_id, kind: r.audit_kind!, verdict: r.audit_verdict!, matchRate: r.audit_rate ?? 0, finishedAt: r.audit_finished ?? '' };
}

function signatureBrief(r: SigCols): SignatureBrief | null {
  if (r.sig_status === null) return null;
  return { status: r.sig_status, method: r.sig_method, signer: r.sig_signer, reason: r.sig_reason, checkedAt: r.sig_checked ?? '' };
}

function toModelRow(r: ModelListDbRow): ModelRow {
  return {
    id: r.id, name: r.name, description: r.description, framework: r.framework, modelType: r.model_type,
    tags: r.tags ? r.tags.split(' ').sort() : [], latestVersion: r.latest, productionVersion: r.production,
    stage: r.stage, format: r.format, totalSize: r.total_size, versionCount: r.version_count, updatedAt: r.updated_at,
    parameters: r.parameters, scan: scanSummary(r), audit: auditSummary(r), signature: signatureBrief(r),
  };
}

/** Turns what a user types into a safe FTS5 query: every word a quoted prefix term. */
export function ftsQuery(q: string): string | null {
  const words = q.match(/[\p{L}\p{N}][\p{L}\p{N}._:/-]*/gu) ?? [];
  if (!words.length) return null;
  return words.slice(0, 16).map((w) => `"${w.replace(/"/g, '""')}"*`).join(' ');
}

/** Parses `name`, `name@3` or `name@v3`. */
export function parseRef(ref: string): { name: string; version?: number } {
  const m = /^(.+?)@v?(\d+)$/.exec(ref.trim());
  if (!m) {
    if (ref.includes('@')) throw new HallmarkError('invalid_ref', `${quote(ref)} is not NAME or NAME@VERSION (e.g. mymodel@2)`);
    return { name: ref.trim() };
  }
  return { name: m[1]!, version: Number(m[2]) };
}

/** The registry's tables: models, immutable versions, file manifests, search. */
export class Registry {
  constructor(readonly db: Sqlite, readonly blobs: BlobStore) {}

  findModel(name: string): ModelDbRow | undefined {
    return this.db.prepare(`SELECT * FROM models WHERE name = ?`).get(name) as ModelDbRow | undefined;
  }

  requireModel(name: string): ModelDbRow {
    const m = this.findModel(name);
    if (!m) throw new HallmarkError('not_found', `no model named ${quote(name)}`);
    return m;
  }

  tags(modelId: number): string[] {
    return (this.db.prepare(`SELECT tag FROM model_tags WHERE model_id = ? ORDER BY tag`).all(modelId) as Array<{ tag: string }>).map((r) => r.tag);
  }

  /**
   * Commits a fully ingested version in one transaction: a crash before it leaves no trace of it.
   * Vault blobs are checked on disk inside the IMMEDIATE transaction: a delete in another process moves
   * orphan blobs aside inside its own IMMEDIATE transaction, so whichever commits second sees the other's
   * effect. A blob that vanished throws `blob_missing` (details.missing) and nothing is written.
   */
  commitVersion(v: NewVersion): { versionId: number; model: string; version: number; created: boolean; files: FileEntry[] } {
    return this.db.transaction(() => {
      if (v.storage === 'vault') {
        const missing = [...new Set(v.files.map((f) => f.sha256))].filter((sha) => !fs.existsSync(this.blobs.pathOf(sha)));
        if (missing.length) throw new HallmarkError('blob_missing', `${missing.length} blob(s) of this import were removed while it ran (a concurrent delete)`, { missing });
      }
      const t = nowIso();
      let model = this.findModel(v.name);
      if (model && v.dedupe) {
        const same = this.db.prepare(`SELECT id, number FROM versions WHERE model_id = ? AND content_hash = ? AND storage = ? ORDER BY number DESC LIMIT 1`)
          .get(model.id, v.contentHash, v.storage) as { id: number; number: number } | undefined;
        if (same) return { versionId: same.id, model: model.name, version: same.number, created: false, files: this.files(same.id) };
      }
      if (!model) {
        const r = this.db.prepare(`INSERT INTO models (name, description, framework, model_type, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`)
          .run(v.name, v.description ?? '', v.framework ?? 'other', v.modelType ?? 'other', t, t);
        model = this.db.prepare(`SELECT * FROM models WHERE id = ?`).get(r.lastInsertRowid) as ModelDbRow;
      } else {
        if (v.description !== undefined) this.db.prepare(`UPDATE models SET description = ? WHERE id = ?`).run(v.description, model.id);
        if (v.framework !== undefined) this.db.prepare(`UPDATE models SET framework = ? WHERE id = ?`).run(v.framework, model.id);
        if (v.modelType !== undefined) this.db.prepare(`UPDATE models SET model_type = ? WHERE id = ?`).run(v.modelType, model.id);
      }
      const insTag = this.db.prepare(`INSERT OR IGNORE INTO model_tags (model_id, tag) VALUES (?, ?)`);
      for (const tag of v.tags) insTag.run(model.id, tag);
      const prev = this.db.prepare(`SELECT id, number FROM versions WHERE model_id = ? ORDER BY number DESC LIMIT 1`).get(model.id) as { id: number; number: number } | undefined;
      const number = (prev?.number ?? 0) + 1;
      const total = v.files.reduce((s, f) => s + f.size, 0);
      const r = this.db.prepare(`INSERT INTO versions (model_id, number, storage, source_path, content_hash, total_size, file_count, metrics, config, notes, parent_id, format, integrity, verified_at, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'ok', ?, ?)`)
        .run(model.id, number, v.storage, v.sourcePath, v.contentHash, total, v.files.length, JSON.stringify(v.metrics ?? {}), JSON.stringify(v.config ?? {}), v.notes ?? '', v.parentId !== undefined ? v.parentId : (prev?.id ?? null), v.format ?? null, t, t);
      const versionId = Number(r.lastInsertRowid);
      const insFile = this.db.prepare(`INSERT INTO version_files (version_id, path, size, sha256, mtime_ms) VALUES (?, ?, ?, ?, ?)`);
      const insBlob = this.db.prepare(`INSERT OR IGNORE INTO blobs (sha256, size, created_at) VALUES (?, ?, ?)`);
      for (const f of v.files) {
        insFile.run(versionId, f.path, f.size, f.sha256, f.mtimeMs ?? null);
        if (v.storage === 'vault') insBlob.run(f.sha256, f.size, t);
      }
      this.db.prepare(`UPDATE models SET latest_version_id = ?, updated_at = ? WHERE id = ?`).run(versionId, t, model.id);
      // Post-import work (inspect + scan) is owed until the importer clears this row; if this process
      // dies first, another one resumes it (AppContext.resumePostImport).
      this.db.prepare(`INSERT OR REPLACE INTO pending_hooks (version_id, owner, created_at) VALUES (?, ?, ?)`).run(versionId, selfOwner(), t);
      this.indexVersion(versionId);
      return { versionId, model: model.name, version: number, created: true, files: v.files.map(({ path: p, size, sha256 }) => ({ path: p, size, sha256 })) };
    }).immediate();
  }

  /** (Re)writes the search row of a version from its model's current fields. */
  private indexVersion(versionId: number): void {
    const row = this.db.prepare(`SELECT v.id, v.notes, m.name, m.description, m.framework, m.model_type, m.id AS model_id FROM versions v JOIN models m ON m.id = v.model_id WHERE v.id = ?`)
      .get(versionId) as { id: number; notes: string; name: string; description: string; framework: string; model_type: string; model_id: number };
    const files = (this.db.prepare(`SELECT path FROM version_files WHERE version_id = ? LIMIT 2000`).all(versionId) as Array<{ path: string }>).map((f) => f.path).join(' ');
    this.db.prepare(`DELETE FROM versions_fts WHERE rowid = ?`).run(versionId);
    this.db.prepare(`INSERT INTO versions_fts (rowid, name, description, tags, framework, model_type, notes, files) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(versionId, row.name, row.description, this.tags(row.model_id).join(' '), row.framework, row.model_type, row.notes, files);
  }

  private reindexModel(modelId: number): void {
    for (const { id } of this.db.prepare(`SELECT id FROM versions WHERE model_id = ?`).all(modelId) as Array<{ id: number }>) this.indexVersion(id);
  }

  files(versionId: number): FileEntry[] {
    return this.db.prepare(`SELECT path, size, sha256 FROM version_files WHERE version_id = ? ORDER BY path`).all(versionId) as FileEntry[];
  }

  /**
   * Where the bytes of one file of a version live now (the vault blob, or the original path). `label`
   * (NAME@N) names the version when it was deleted after the caller looked it up (another process).
   */
  filePath(versionId: number, relPath: string, label?: string): string {
    const v = this.db.prepare(`SELECT storage, source_path FROM versions WHERE id = ?`).get(versionId) as { storage: string; source_path: string | null } | undefined;
    if (!v) throw new HallmarkError('not_found', label ? `${label} no longer exists: it was deleted while this ran` : `no version with id ${versionId}`);
    const f = this.db.prepare(`SELECT sha256 FROM version_files WHERE version_id = ? AND path = ?`).get(versionId, relPath) as { sha256: string } | undefined;
    if (!f) throw new HallmarkError('not_found', `version ${versionId} has no file ${quote(relPath)}`);
    if (v.storage === 'vault') return this.blobs.pathOf(f.sha256);
    return inPlacePath(v.source_path!, relPath);
  }

  private toSummary(r: VersionDbRow): VersionSummary {
    return {
      id: r.id, model: r.name, version: r.number, stage: r.stage, storage: r.storage, sourcePath: r.source_path,
      contentHash: r.content_hash, totalSize: r.total_size, fileCount: r.file_count, format: r.format,
      framework: r.framework, modelType: r.model_type, tags: r.tags ? r.tags.split(' ').sort() : [],
      metrics: JSON.parse(r.metrics) as Record<string, number>, parent: r.parent_number, parentModel: r.parent_model, integrity: r.integrity,
      verifiedAt: r.verified_at, createdAt: r.created_at,
    };
  }

  versionRow(name: string, version?: number): VersionDbRow {
    const model = this.requireModel(name);
    const row = (version === undefined
      ? this.db.prepare(`${VERSION_SELECT} WHERE v.model_id = ? ORDER BY v.number DESC LIMIT 1`).get(model.id)
      : this.db.prepare(`${VERSION_SELECT} WHERE v.model_id = ? AND v.number = ?`).get(model.id, version)) as VersionDbRow | undefined;
    if (!row) throw new HallmarkError('not_found', version === undefined ? `model ${quote(model.name)} has no versions` : `model ${quote(model.name)} has no version ${version}`);
    return row;
  }

  version(name: string, version?: number): VersionDetail {
    const r = this.versionRow(name, version);
    return { ...this.toSummary(r), files: this.files(r.id), config: JSON.parse(r.config) as Record<string, unknown>, notes: r.notes, description: r.description };
  }

  versionById(id: number): VersionSummary {
    const r = this.db.prepare(`${VERSION_SELECT} WHERE v.id = ?`).get(id) as VersionDbRow | undefined;
    if (!r) throw new HallmarkError('not_found', `no version with id ${id}`);
    return this.toSummary(r);
  }

  private where(q: ReturnType<typeof ListQuerySchema.parse>, alias: { m: string; v: string }): { sql: string; args: unknown[] } {
    const parts: string[] = [];
    const args: unknown[] = [];
    if (q.framework) { parts.push(`${alias.m}.framework = ?`); args.push(q.framework); }
    if (q.modelType) { parts.push(`${alias.m}.model_type = ?`); args.push(q.modelType); }
    if (q.tag) { parts.push(`EXISTS (SELECT 1 FROM model_tags t WHERE t.model_id = ${alias.m}.id AND t.tag = ?)`); args.push(q.tag.toLowerCase()); }
    return { sql: parts.length ? parts.join(' AND ') : '1', args };
  }

  /** Versions matching a query (the CLI's `list`). */
  listVersions(input: ListQuery): { total: number; rows: VersionSummary[] } {
    const q = ListQuerySchema.parse(input);
    const w = this.where(q, { m: 'm', v: 'v' });
    const parts = [w.sql];
    const args = [...w.args];
    if (q.stage) { parts.push(`v.stage = ?`); args.push(q.stage); }
    const fts = q.query ? ftsQuery(q.query) : null;
    if (fts) { parts.push(`v.id IN (SELECT rowid FROM versions_fts WHERE versions_fts MATCH ?)`); args.push(fts); }
    const order = {
      name: 'm.name', updated: 'v.created_at', size: 'v.total_size', version: 'v.number', stage: 'v.stage', format: 'v.format',
      params: `(SELECT sum(json_extract(fi.metadata, '$.parameterCount')) FROM version_file_inspections fi WHERE fi.version_id = v.id)`,
      scan: `(SELECT ${SCAN_RANK('s')} FROM scans s WHERE s.version_id = v.id AND s.status != 'running' ORDER BY s.id DESC LIMIT 1)`,
      audit: `(SELECT ${AUDIT_RANK('a')} FROM audits a WHERE a.version_id = v.id ORDER BY a.finished_at DESC LIMIT 1)`,
      signature: `(SELECT ${SIG_RANK('sg')} FROM version_signatures sg WHERE sg.version_id = v.id)`,
    }[q.sort];
    const where = parts.join(' AND ');
    const total = (this.db.prepare(`SELECT count(*) AS n FROM versions v JOIN models m ON m.id = v.model_id WHERE ${where}`).get(...args) as { n: number }).n;
    const rows = this.db.prepare(`${VERSION_SELECT} WHERE ${where} ORDER BY ${order} ${q.dir === 'asc' ? 'ASC' : 'DESC'}, v.id DESC LIMIT ? OFFSET ?`)
      .all(...args, q.limit, q.offset) as VersionDbRow[];
    return { total, rows: rows.map((r) => this.toSummary(r)) };
  }

  /** One row per model with its latest version (the Models table). */
  listModels(input: ListQuery): { total: number; rows: ModelRow[] } {
    const q = ListQuerySchema.parse(input);
    const w = this.where(q, { m: 'm', v: 'lv' });
    const parts = [w.sql];
    const args = [...w.args];
    if (q.stage) { parts.push(`EXISTS (SELECT 1 FROM versions s WHERE s.model_id = m.id AND s.stage = ?)`); args.push(q.stage); }
    const fts = q.query ? ftsQuery(q.query) : null;
    if (fts) { parts.push(`m.id IN (SELECT v2.model_id FROM versions v2 WHERE v2.id IN (SELECT rowid FROM versions_fts WHERE versions_fts MATCH ?))`); args.push(fts); }
    if (q.scanVerdict) {
      if (q.scanVerdict === 'not_scanned') parts.push(`${LATEST_SCAN_ID} IS NULL`);
      else { parts.push(`(SELECT s.verdict FROM scans s WHERE s.id = ${LATEST_SCAN_ID}) = ?`); args.push(q.scanVerdict); }
    }
    if (q.signature) {
      if (q.signature === 'unsigned') parts.push(`coalesce((SELECT sg.status FROM version_signatures sg WHERE sg.version_id = m.latest_version_id), 'unsigned') = 'unsigned'`);
      else { parts.push(`(SELECT sg.status FROM version_signatures sg WHERE sg.version_id = m.latest_version_id) = ?`); args.push(q.signature); }
    }
    const where = parts.join(' AND ');
    const order = MODEL_ORDER[q.sort];
    // Counting needs the latest version only when a filter reads it.
    const total = (this.db.prepare(`SELECT count(*) AS n FROM models m LEFT JOIN versions lv ON lv.id = m.latest_version_id WHERE ${where}`).get(...args) as { n: number }).n;
    const rows = this.db.prepare(`${MODEL_SELECT} WHERE ${where} ORDER BY ${order} ${q.dir === 'asc' ? 'ASC' : 'DESC'}, m.id DESC LIMIT ? OFFSET ?`)
      .all(...args, q.limit, q.offset) as ModelListDbRow[];
    return { total, rows: rows.map(toModelRow) };
  }

  model(name: string): ModelDetail {
    const m = this.requireModel(name);
    const row = this.listModelsByIds([m.id])[0]!;
    const versions = (this.db.prepare(`${VERSION_SELECT} WHERE v.model_id = ? ORDER BY v.number DESC`).all(m.id) as VersionDbRow[]).map((r) => this.toSummary(r));
    return { ...row, createdAt: m.created_at, versions };
  }

  private listModelsByIds(ids: number[]): ModelRow[] {
    const one = this.db.prepare(`${MODEL_SELECT} WHERE m.id = ?`);
    return ids.map((id) => toModelRow(one.get(id) as ModelListDbRow));
  }

  /** Latest finished scan of a version (null when none). */
  latestScan(versionId: number): ScanSummary | null {
    const r = this.db.prepare(`SELECT ${SCAN_COLS} FROM scans ls WHERE ls.version_id = ? AND ls.status != 'running' ORDER BY ls.id DESC LIMIT 1`).get(versionId) as ScanCols | undefined;
    return r ? scanSummary(r) : null;
  }

  /** Latest audit of a version (null when never audited). */
  latestAudit(versionId: number): AuditSummary | null {
    const r = this.db.prepare(`SELECT ${AUDIT_COLS} FROM audits la WHERE la.version_id = ? ORDER BY la.finished_at DESC, la.rowid DESC LIMIT 1`).get(versionId) as AuditCols | undefined;
    return r ? auditSummary(r) : null;
  }

  update(name: string, patch: { rename?: string | undefined; description?: string | undefined; framework?: string | undefined; modelType?: string | undefined; tags?: string[] | undefined }): ModelRow {
    return this.db.transaction(() => {
      const m = this.requireModel(name);
      if (patch.rename && patch.rename.toLowerCase() !== m.name.toLowerCase() && this.findModel(patch.rename)) {
        throw new HallmarkError('duplicate_name', `a model named ${quote(patch.rename)} already exists`);
      }
      const t = nowIso();
      this.db.prepare(`UPDATE models SET name = coalesce(?, name), description = coalesce(?, description), framework = coalesce(?, framework), model_type = coalesce(?, model_type), updated_at = ? WHERE id = ?`)
        .run(patch.rename ?? null, patch.description ?? null, patch.framework ?? null, patch.modelType ?? null, t, m.id);
      if (patch.tags) {
        this.db.prepare(`DELETE FROM model_tags WHERE model_id = ?`).run(m.id);
        const ins = this.db.prepare(`INSERT OR IGNORE INTO model_tags (model_id, tag) VALUES (?, ?)`);
        for (const tag of patch.tags) ins.run(m.id, tag);
      }
      this.reindexModel(m.id);
      return this.listModelsByIds([m.id])[0]!;
    }).immediate();
  }

  annotate(name: string, version: number, patch: { metrics?: Record<string, number> | undefined; notes?: string | undefined }): VersionSummary {
    return this.db.transaction(() => {
      const r = this.versionRow(name, version);
      if (patch.metrics) {
        const merged = { ...(JSON.parse(r.metrics) as Record<string, number>), ...patch.metrics };
        this.db.prepare(`UPDATE versions SET metrics = ? WHERE id = ?`).run(JSON.stringify(merged), r.id);
      }
      if (patch.notes !== undefined) this.db.prepare(`UPDATE versions SET notes = ? WHERE id = ?`).run(patch.notes, r.id);
      this.indexVersion(r.id);
      return this.versionById(r.id);
    }).immediate();
  }

  /**
   * High and critical findings of a version's latest finished scan, grouped by rule (worst first): what
   * promoting or exporting it must name before the user goes ahead.
   */
  dangerousFindings(versionId: number): DangerousFindings | null {
    const scan = this.latestScan(versionId);
    if (!scan || (scan.worst !== 'critical' && scan.worst !== 'high')) return null;
    const rules = this.db.prepare(`SELECT severity, rule, COUNT(*) AS count, MIN(file) AS file, MIN(detail) AS detail FROM scan_findings
      WHERE scan_id = ? AND severity IN ('critical', 'high') GROUP BY severity, rule ORDER BY severity = 'critical' DESC, count DESC, rule LIMIT 20`)
      .all(scan.id) as DangerousFindings['rules'];
    const count = (sev: string) => rules.filter((x) => x.severity === sev).reduce((a, x) => a + x.count, 0);
    return { scanId: scan.id, critical: count('critical'), high: count('high'), rules };
  }

  /**
   * Moving a version to production archives the one that was there, as MLflow's registry does. Promoting
   * (to staging or production) a version whose latest scan found high or critical problems is refused
   * unless `force` says the user saw them: one click must not ship a pickle that runs os.system.
   */
  promote(name: string, version: number, stage: Stage, opts: { force?: boolean } = {}): { model: string; version: number; stage: Stage; demoted: number[] } {
    return this.db.transaction(() => {
      const r = this.versionRow(name, version);
      if ((stage === 'staging' || stage === 'production') && !opts.force) {
        const danger = this.dangerousFindings(r.id);
        if (danger) {
          throw new HallmarkError('dangerous_findings',
            `${r.name}@${r.number} has ${describeDanger(danger)} in its latest scan: review them first, and promote with force only if you accept the risk`,
            danger);
        }
      }
      const demoted: number[] = [];
      if (stage === 'production') {
        const prev = this.db.prepare(`SELECT id, number FROM versions WHERE model_id = ? AND stage = 'production' AND id != ?`).all(r.model_id, r.id) as Array<{ id: number; number: number }>;
        for (const p of prev) {
          this.db.prepare(`UPDATE versions SET stage = 'archived' WHERE id = ?`).run(p.id);
          demoted.push(p.number);
        }
      }
      this.db.prepare(`UPDATE versions SET stage = ? WHERE id = ?`).run(stage, r.id);
      this.db.prepare(`UPDATE models SET updated_at = ? WHERE id = ?`).run(nowIso(), r.model_id);
      return { model: r.name, version: r.number, stage, demoted };
    }).immediate();
  }

  compare(name: string, a: number, b: number, otherName?: string): CompareResult {
    const va = this.version(name, a);
    const vb = this.version(otherName ?? name, b);
    const keys = [...new Set([...Object.keys(va.metrics), ...Object.keys(vb.metrics)])].sort();
    const metrics = keys.map((key) => {
      // Own keys only: a metric named like an Object.prototype member must not read the prototype.
      const x = Object.hasOwn(va.metrics, key) ? va.metrics[key]! : null;
      const y = Object.hasOwn(vb.metrics, key) ? vb.metrics[key]! : null;
      return { key, a: x, b: y, delta: x !== null && y !== null ? y - x : null };
    });
    const fa = new Map(va.files.map((f) => [f.path, f]));
    const fb = new Map(vb.files.map((f) => [f.path, f]));
    const added = vb.files.filter((f) => !fa.has(f.path));
    const removed = va.files.filter((f) => !fb.has(f.path));
    const changed: CompareResult['files']['changed'] = [];
    let unchanged = 0;
    for (const f of va.files) {
      const g = fb.get(f.path);
      if (!g) continue;
      if (g.sha256 !== f.sha256) changed.push({ path: f.path, a: f, b: g });
      else unchanged++;
    }
    const sa = this.latestScan(va.id);
    const sb = this.latestScan(vb.id);
    const findings = (id: number | undefined): CompareFinding[] => (id === undefined ? [] : this.db.prepare(`SELECT severity, rule, file, location, detail FROM scan_findings WHERE scan_id = ? ORDER BY id LIMIT 5000`).all(id) as CompareFinding[]);
    const fkey = (f: CompareFinding) => `${f.rule}\u0000${f.file}\u0000${f.location}`;
    const xa = findings(sa?.id);
    const xb = findings(sb?.id);
    const ka = new Set(xa.map(fkey));
    const kb = new Set(xb.map(fkey));
    return {
      a, b, metrics, files: { added, removed, changed, unchanged },
      scan: { a: sa, b: sb, added: xb.filter((f) => !ka.has(fkey(f))), resolved: xa.filter((f) => !kb.has(fkey(f))) },
      audit: { a: this.latestAudit(va.id), b: this.latestAudit(vb.id) },
    };
  }

  setIntegrity(versionId: number, integrity: VersionSummary['integrity']): void {
    this.db.prepare(`UPDATE versions SET integrity = ?, verified_at = ? WHERE id = ?`).run(integrity, nowIso(), versionId);
  }

  setFormat(versionId: number, format: string | null): void {
    this.db.prepare(`UPDATE versions SET format = ? WHERE id = ?`).run(format, versionId);
  }

  /** Deletes one version or a whole model; blobs no other version uses are removed after the commit. */
  async delete(name: string, version: number | undefined, confirm: string): Promise<{ deletedVersions: number; freedBytes: number }> {
    const m = this.requireModel(name);
    const expected = version === undefined ? m.name : `${m.name}@${version}`;
    if (confirm !== expected) throw new HallmarkError('confirmation_required', `type ${quote(expected)} to confirm deleting it (got ${quote(confirm)})`);
    const orphans = this.reclaimBlobs(() => {
      const ids = (version === undefined
        ? this.db.prepare(`SELECT id FROM versions WHERE model_id = ?`).all(m.id)
        : [this.versionRow(name, version)]) as Array<{ id: number }>;
      const shas = new Set<string>();
      for (const { id } of ids) {
        for (const f of this.db.prepare(`SELECT sha256 FROM version_files vf JOIN versions v ON v.id = vf.version_id WHERE vf.version_id = ? AND v.storage = 'vault'`).all(id) as Array<{ sha256: string }>) shas.add(f.sha256);
        this.db.prepare(`DELETE FROM versions_fts WHERE rowid = ?`).run(id);
        this.db.prepare(`DELETE FROM versions WHERE id = ?`).run(id);
      }
      if (version === undefined) this.db.prepare(`DELETE FROM models WHERE id = ?`).run(m.id);
      else {
        const latest = this.db.prepare(`SELECT id FROM versions WHERE model_id = ? ORDER BY number DESC LIMIT 1`).get(m.id) as { id: number } | undefined;
        this.db.prepare(`UPDATE models SET latest_version_id = ?, updated_at = ? WHERE id = ?`).run(latest?.id ?? null, nowIso(), m.id);
      }
      return { count: ids.length, shas };
    }, (tx) => tx.shas);
    return { deletedVersions: orphans.result.count, freedBytes: orphans.freed };
  }

  /**
   * Runs `body` in an IMMEDIATE transaction, then removes the blobs it lists that no vault version
   * references any more. The blob files are renamed into the trash INSIDE the transaction (after the
   * body, so little can fail between that and COMMIT), renamed back if it rolls back, and removed
   * after it commits: a concurrent commitVersion serialised after us sees them gone and re-ingests.
   */
  reclaimBlobs<T>(body: () => T, candidates: (result: T) => Iterable<string>): { result: T; freed: number; removed: number } {
    const moved: Array<{ sha: string; to: string }> = [];
    let freed = 0;
    const referenced = this.db.prepare(`SELECT 1 FROM version_files vf JOIN versions v ON v.id = vf.version_id WHERE vf.sha256 = ? AND v.storage = 'vault' LIMIT 1`);
    let result: T;
    try {
      result = this.db.transaction(() => {
        const r = body();
        for (const sha of candidates(r)) {
          if (referenced.get(sha)) continue;
          const b = this.db.prepare(`SELECT size FROM blobs WHERE sha256 = ?`).get(sha) as { size: number } | undefined;
          this.db.prepare(`DELETE FROM blobs WHERE sha256 = ?`).run(sha);
          const to = this.blobs.trashBlob(sha);
          if (to) {
            moved.push({ sha, to });
            freed += b?.size ?? 0;
          }
        }
        return r;
      }).immediate();
    } catch (e) {
      for (const m of moved.reverse()) {
        try {
          this.blobs.restoreBlob(m.sha, m.to);
        } catch {
          // left in the trash: start-up recovery puts back what is still referenced
        }
      }
      throw e;
    }
    for (const m of moved) fs.rmSync(m.to, { force: true });
    return { result, freed, removed: moved.length };
  }

  facets(): { frameworks: Facet[]; modelTypes: Facet[]; tags: Facet[]; stages: Facet[]; scanVerdicts: Facet[]; signatures: Facet[]; models: number; versions: number } {
    const f = (sql: string) => this.db.prepare(sql).all() as Facet[];
    return {
      frameworks: f(`SELECT framework AS value, count(*) AS count FROM models GROUP BY framework ORDER BY count DESC LIMIT 50`),
      modelTypes: f(`SELECT model_type AS value, count(*) AS count FROM models GROUP BY model_type ORDER BY count DESC LIMIT 50`),
      tags: f(`SELECT tag AS value, count(*) AS count FROM model_tags GROUP BY tag ORDER BY count DESC LIMIT 100`),
      stages: f(`SELECT stage AS value, count(*) AS count FROM versions GROUP BY stage ORDER BY count DESC`),
      scanVerdicts: f(`SELECT coalesce((SELECT s.verdict FROM scans s WHERE s.id = ${LATEST_SCAN_ID}), 'not_scanned') AS value, count(*) AS count
        FROM models m LEFT JOIN versions lv ON lv.id = m.latest_version_id GROUP BY value ORDER BY count DESC`),
      signatures: f(`SELECT coalesce((SELECT sg.status FROM version_signatures sg WHERE sg.version_id = m.latest_version_id), 'unsigned') AS value, count(*) AS count
        FROM models m GROUP BY value ORDER BY count DESC`),
      models: (this.db.prepare(`SELECT count(*) AS n FROM models`).get() as { n: number }).n,
      versions: (this.db.prepare(`SELECT count(*) AS n FROM versions`).get() as { n: number }).n,
    };
  }
}

interface Facet { value: string; count: number }

/** In-place versions keep their root folder in source_path; a file's bytes live at root/relPath. */
export function inPlacePath(sourceRoot: string, relPath: string): string {
  return path.join(sourceRoot, ...relPath.split('/'));
}
