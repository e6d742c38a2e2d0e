import { invalidField } from '../util';

// JSON-schema building blocks shared by the routes (they feed both validation and the OpenAPI document).

export const str = (maxLength: number, minLength = 0): Record<string, unknown> => ({ type: 'string', maxLength, ...(minLength ? { minLength } : {}) });
export const optStr = (maxLength: number): Record<string, unknown> => ({ type: ['string', 'null'], maxLength });
export const strList = (maxItems = 50, maxLength = 200): Record<string, unknown> => ({ type: ['array', 'null'], maxItems, items: { type: 'string', maxLength } });

/** Object bodies: the SDK forwards arbitrary **kwargs, so unknown fields are tolerated (and ignored). */
export const body = (properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> => ({
  type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: true,
});

export const idParam = (name: string, pattern = '^[A-Za-z0-9_-]{1,100}$'): Record<string, unknown> => ({
  type: 'object', properties: { [name]: { type: 'string', pattern } }, required: [name],
});

export const secured = [{ apiKey: [] }];

/** An integer query parameter: text in the schema (queries are text), range-checked by qInt(). */
export const qIntSchema = (min: number, max: number): Record<string, unknown> => ({ type: 'string', pattern: '^[0-9]{1,9}$', description: `integer ${min}..${max}` });

export function qInt(raw: string | undefined, def: number, min: number, max: number, name: string): number {
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalidField(['query', name], `${name} must be an integer from ${min} to ${max}`, 'int_range');
  return n;
}

/** Mostly-free text as stored: strip NUL (PostgreSQL TEXT refuses it) and surrounding whitespace. */
export const clean = (s: string): string => s.replace(/\u0000/g, '').trim();
export const cleanOpt = (s: string | null | undefined): string | null => (s === undefined || s === null ? null : clean(s) || null);

export const EMAIL_RE = /^[^\s@<>"'`]{1,64}@[^\s@<>"'`]{1,189}\.[^\s@<>"'`]{1,63}$/;
export const HTTP_URL_RE = /^https?:\/\/[^\s<>"'`]+$/i;
