// Relative paths inside a version, as archives and browser uploads name them: one rule, shared by the
// importer (zip entries) and the bridge (upload paths), so it lives in neither.
import { HallmarkError, quote } from '../errors';

/** Checks a zip entry name the way an extractor must: no absolute paths, no `..`, no drive letters. */
export function safeZipPath(name: string): string {
  const n = name.replace(/\\/g, '/');
  if (n.startsWith('/') || /^[A-Za-z]:/.test(n)) throw new HallmarkError('zip_absolute_path', `zip entry ${quote(name)} has an absolute path; refusing to extract`);
  const parts = n.split('/').filter((x) => x !== '' && x !== '.');
  if (parts.includes('..')) throw new HallmarkError('zip_slip', `zip entry ${quote(name)} climbs out of the archive with ".."; refusing to extract`);
  if (!parts.length) throw new HallmarkError('zip_bad_name', `zip entry ${quote(name)} has an empty name`);
  return parts.join('/');
}
