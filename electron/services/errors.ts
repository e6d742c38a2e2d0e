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
