// Signatures per version (migration 060): the last check's outcome (shown in the Models table, filtered
// on) with its full report, and the signatures Hallmark made for vault versions. A vault version is
// immutable and model-signing leaves the signature out of what it hashes, so a signature is an attachment
// beside the version, not one of its files; it lives in the database so it goes with the version.
import type { Migration } from '../../../native/Database';

export const signingMigrations: Migration[] = [{ version: 60, name: 'signatures', sql: `
CREATE TABLE version_signatures (
  version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('valid','invalid','unverified','unsigned')),
  method TEXT CHECK (method IN ('key','certificate','sigstore')),
  signer TEXT,
  reason TEXT,
  source TEXT CHECK (source IN ('attachment','file','folder')),
  bundle_sha256 TEXT,
  report TEXT NOT NULL,
  checked_at TEXT NOT NULL
);
CREATE INDEX version_signatures_status ON version_signatures(status);
CREATE TABLE signature_attachments (
  version_id INTEGER PRIMARY KEY REFERENCES versions(id) ON DELETE CASCADE,
  bundle BLOB NOT NULL,
  created_at TEXT NOT NULL
);
` }];
