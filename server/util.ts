import { createHash, randomBytes } from 'node:crypto';

/** An error answered as-is: `status` and the JSON body the SDK parses for it. */
export class HubError extends Error {
  constructor(readonly status: number, message: string, readonly body?: Record<string, unknown>) {
    super(message);
    this.name = 'HubError';
  }
}

/** One entry of a 422 answer, the shape FastAPI (and so the SDK) uses. */
export interface ValidationIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
}

export const unprocessable = (issues: ValidationIssue[]): HubError =>
  new HubError(422, issues.map((i) => i.msg).join('; '), { detail: issues });

export const invalidField = (loc: (string | number)[], msg: string, type = 'value_error'): HubError => unprocessable([{ loc, msg, type }]);

export const notFound = (what: string): HubError => new HubError(404, what, { detail: what });
export const forbidden = (what: string): HubError => new HubError(403, what, { detail: what });
export const unauthorized = (what: string): HubError => new HubError(401, what, { detail: what });

/** `prefix_` + 24 hex characters: 96 random bits, matching `^[A-Za-z0-9_-]+$` as the SDK requires of model ids. */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

export const nowIso = (): string => new Date().toISOString();

export const sha256Hex = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** Stable JSON (sorted keys) so that the same body sent twice hashes the same. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

export function parseJsonObject(s: string | null | undefined): Record<string, unknown> {
  if (!s) return {};
  try {
    const v = JSON.parse(s) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
