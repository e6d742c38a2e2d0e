import type { ZodError } from 'zod';

/**
 * The one error type services throw on purpose. `code` is stable (scripts and the UI branch on it);
 * `message` says what happened and quotes the failing value.
 */
export class HallmarkError extends Error {
  constructor(readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'HallmarkError';
  }
}

export const quote = (v: unknown): string => JSON.stringify(typeof v === 'string' && v.length > 200 ? v.slice(0, 200) + '…' : v);

export function formatZod(e: ZodError): string {
  return e.issues.map((i) => `${i.path.length ? i.path.join('.') : '(input)'}: ${i.message}`).join('; ');
}

/**
 * Hallmark's own message for low-level failures a user can act on: SQLite's "database or disk is full"
 * and a raw ENOSPC both mean "free some space", and must not reach the user as library jargon.
 */
export function productError(e: unknown): unknown {
  if (e instanceof HallmarkError) return e;
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') {
    return new HallmarkError('disk_full', `the disk is full: free some space and retry (${code === 'SQLITE_FULL' ? 'the registry database could not be written' : 'a file could not be written'})`);
  }
  if (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) {
    return new HallmarkError('busy', 'the registry is busy: another Hallmark process held it too long; retry');
  }
  return e;
}
