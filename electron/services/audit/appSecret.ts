// The desktop app's fingerprint key: 32 random bytes created once and kept on disk only sealed by
// the OS keychain (Electron safeStorage, passed in by electron/main as a `SecretSealer`, since only
// main may import 'electron'). Fingerprint sets are then encrypted with keys derived from it (appKey).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { HallmarkError } from '../errors';
import { writeFileAtomic } from './FingerprintStore';

/** What electron/main gives us: safeStorage.encryptString / decryptString. */
export interface SecretSealer {
  encrypt(plain: string): Buffer;
  decrypt(sealed: Buffer): string;
}

const SECRET_BYTES = 32;
const FORMAT = 'hallmark-app-key/v1';

/**
 * Reads the sealed secret from `file`, or creates and seals a new one there. A file that exists but
 * cannot be unsealed (keychain reset, copied from another machine) is an error and is left alone:
 * replacing it would silently orphan every set encrypted with the old key.
 */
export function loadOrCreateAppSecret(file: string, sealer: SecretSealer): { secret: Buffer; created: boolean } {
  let text: string | null = null;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new HallmarkError('wrong_key', `cannot read the app key ${file}: ${(e as Error).message}`);
  }
  if (text !== null) {
    const [format, sealed] = text.trim().split('\n');
    if (format !== FORMAT || !sealed) throw new HallmarkError('wrong_key', `the app key ${file} is damaged: sets encrypted with the app key cannot be opened until it is restored (passphrase sets are unaffected)`);
    let secret: Buffer;
    try {
      secret = Buffer.from(sealer.decrypt(Buffer.from(sealed, 'base64')), 'base64');
    } catch (e) {
      throw new HallmarkError('wrong_key', `the OS keychain cannot unseal the app key ${file} (${(e as Error).message}); sets encrypted with it stay locked until it can`);
    }
    if (secret.length !== SECRET_BYTES) throw new HallmarkError('wrong_key', `the app key ${file} unsealed to ${secret.length} bytes, expected ${SECRET_BYTES}`);
    return { secret, created: false };
  }
  const secret = randomBytes(SECRET_BYTES);
  const sealed = sealer.encrypt(secret.toString('base64'));
  // Atomic and 0600: a crash never leaves a half key that would lock future sets out.
  writeFileAtomic(file, `${FORMAT}\n${sealed.toString('base64')}\n`, 0o600);
  return { secret, created: true };
}
