// Persistence of signature checks and Hallmark-made signatures (migration 060).
import type { Sqlite } from '../../../native/Database';
import { SignatureCheck, type SignatureSummary, type VersionSignature } from '../../contract/signing';

export type SignatureSource = NonNullable<VersionSignature['source']>;

interface Row { status: SignatureSummary['status']; method: SignatureSummary['method']; signer: string | null; reason: string | null; source: SignatureSource | null; report: string; checked_at: string }

export function saveCheck(db: Sqlite, versionId: number, check: SignatureCheck, source: SignatureSource | null, bundleSha256: string | null = null): void {
  db.prepare(`INSERT OR REPLACE INTO version_signatures (version_id, status, method, signer, reason, source, bundle_sha256, report, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(versionId, check.status, check.method, check.signer, check.reason, source, bundleSha256, JSON.stringify(check), check.checkedAt);
}

/** The stored check of exactly this signature (same bytes), if any. */
export function previousCheck(db: Sqlite, versionId: number, bundleSha256: string): SignatureCheck | null {
  const r = db.prepare(`SELECT report FROM version_signatures WHERE version_id = ? AND bundle_sha256 = ?`).get(versionId, bundleSha256) as { report: string } | undefined;
  if (!r) return null;
  const parsed = SignatureCheck.safeParse(JSON.parse(r.report));
  return parsed.success ? parsed.data : null;
}

export function loadCheck(db: Sqlite, versionId: number): VersionSignature {
  const r = db.prepare(`SELECT status, method, signer, reason, source, report, checked_at FROM version_signatures WHERE version_id = ?`).get(versionId) as Row | undefined;
  if (!r) return { summary: null, check: null, source: null };
  const parsed = SignatureCheck.safeParse(JSON.parse(r.report));
  return {
    summary: { status: r.status, method: r.method, signer: r.signer, reason: r.reason, checkedAt: r.checked_at },
    check: parsed.success ? parsed.data : null,
    source: r.source,
  };
}

export function saveAttachment(db: Sqlite, versionId: number, bundle: Buffer): void {
  db.prepare(`INSERT OR REPLACE INTO signature_attachments (version_id, bundle, created_at) VALUES (?, ?, ?)`).run(versionId, bundle, new Date().toISOString());
}

export function loadAttachment(db: Sqlite, versionId: number): Buffer | null {
  const r = db.prepare(`SELECT bundle FROM signature_attachments WHERE version_id = ?`).get(versionId) as { bundle: Buffer } | undefined;
  return r ? Buffer.from(r.bundle) : null;
}
