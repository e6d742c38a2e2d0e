// JSON as Python's json module reads it. The loaders we stand in for (Keras, transformers, onnx tools)
// parse with Python, which accepts what JSON.parse rejects: the constants NaN, Infinity and -Infinity,
// and (for bytes) UTF-16 and UTF-32 text found by json.detect_encoding. A config JSON.parse cannot read
// but Python can is exactly where a payload would hide, so the differences are bridged here. Duplicate
// keys need nothing: both keep the last value. Linear time: one pass, and only when JSON.parse fails.
import type { Budget } from './budget';
import { FormatError } from './io';

export class JsonError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'JsonError';
  }
}

/** json.detect_encoding: which codec Python decodes JSON bytes with. */
export function detectEncoding(b: Buffer): 'utf-8' | 'utf-8-sig' | 'utf-16le' | 'utf-16be' | 'utf-32le' | 'utf-32be' {
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) return 'utf-32le';
  if (b.length >= 4 && b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff) return 'utf-32be';
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8-sig';
  if (b.length >= 4) {
    if (!b[0]) return b[1] ? 'utf-16be' : 'utf-32be';
    if (!b[1]) return b[2] || b[3] ? 'utf-16le' : 'utf-32le';
  } else if (b.length === 2) {
    if (!b[0]) return 'utf-16be';
    if (!b[1]) return 'utf-16le';
  }
  return 'utf-8';
}

/** Decodes JSON bytes as Python would (BOMs dropped). */
export function decodeJsonBytes(b: Buffer): string {
  const enc = detectEncoding(b);
  switch (enc) {
    case 'utf-8':
      return b.toString('utf8');
    case 'utf-8-sig':
      return b.toString('utf8', 3);
    case 'utf-16le':
    case 'utf-16be': {
      const s = new TextDecoder(enc).decode(b);
      return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
    }
    default: {
      const le = enc === 'utf-32le';
      const parts: string[] = [];
      for (let i = 0; i + 4 <= b.length; i += 4) {
        const cp = le ? b.readUInt32LE(i) : b.readUInt32BE(i);
        if (cp > 0x10ffff) throw new JsonError(`invalid UTF-32 code point 0x${cp.toString(16)} at offset ${i}`, i);
        if (i === 0 && cp === 0xfeff) continue;
        parts.push(String.fromCodePoint(cp));
      }
      return parts.join('');
    }
  }
}

const CONSTANTS: Array<[string, string]> = [['NaN', 'null'], ['Infinity', 'null'], ['-Infinity', 'null']];

/**
 * Replaces Python's non-standard constants outside strings with null (one linear pass). Their values
 * never matter to a security check; the structure around them does.
 */
function bridgeConstants(text: string, budget?: Budget): string {
  const out: string[] = [];
  let last = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    budget?.tick();
    const c = text.charCodeAt(i);
    if (inStr) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inStr = false;
      continue;
    }
    if (c === 0x22) {
      inStr = true;
      continue;
    }
    if (c !== 0x4e && c !== 0x49 && c !== 0x2d) continue; // N, I, -
    for (const [word, sub] of CONSTANTS) {
      if (text.startsWith(word, i)) {
        out.push(text.slice(last, i), sub);
        i += word.length - 1;
        last = i + 1;
        break;
      }
    }
  }
  if (last === 0) return text;
  out.push(text.slice(last));
  return out.join('');
}

/** Parses JSON text as json.loads(str) does (NaN/Infinity accepted, duplicate keys last-wins). */
export function parseText(text: string, name = 'JSON', budget?: Budget): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (first) {
    const bridged = bridgeConstants(text, budget);
    if (bridged === text) throw new JsonError(`${name} is not valid JSON: ${(first as Error).message}`);
    try {
      return JSON.parse(bridged) as unknown;
    } catch (e) {
      throw new JsonError(`${name} is not valid JSON: ${(e as Error).message}`);
    }
  }
}

/** Parses JSON bytes as json.loads(bytes) does: encoding detected like Python, then parseText. */
export function parseBytes(b: Buffer, name = 'JSON', budget?: Budget): unknown {
  return parseText(decodeJsonBytes(b), name, budget);
}
