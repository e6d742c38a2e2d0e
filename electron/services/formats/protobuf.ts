// A lazy protobuf field walker for multi-GB files (ONNX, SavedModel): top-level messages are walked
// tag by tag so bulk fields (tensor bytes) are stepped over, never read. Small sub-messages are then
// decoded with protobufjs against a schema subset.
import { Cursor, FormatError, type ByteSource } from './io';

export class ProtobufError extends FormatError {
  constructor(message: string, offset: number) {
    super(message, offset);
    this.name = 'ProtobufError';
  }
}

export interface Field {
  field: number;
  wire: number;
  /** varint value (wire 0) as a number (may lose precision beyond 2^53). */
  value: number;
  /** For wire 2: where the payload starts and how long it is. */
  start: number;
  length: number;
}

async function varint(c: Cursor): Promise<number> {
  const at = c.pos;
  if (!c.has(10)) await c.ensure(Math.min(10, c.remaining) || 1, 'varint');
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (c.remaining <= 0) throw new ProtobufError(`truncated varint at offset ${at}`, at);
    const b = c.u8();
    v += (b & 0x7f) * mul;
    if (!(b & 0x80)) return v;
    mul *= 128;
  }
  throw new ProtobufError(`varint longer than 10 bytes at offset ${at}`, at);
}

/**
 * Calls `visit` for each field of the message in [start, end). Length-delimited payloads are not
 * read: `visit` gets their offset and length and the walker skips past them afterwards.
 */
export async function walk(src: ByteSource, start: number, end: number, visit: (f: Field) => Promise<void> | void, cursor?: Cursor): Promise<void> {
  const c = cursor ?? new Cursor(src, start, 1 << 16, end);
  c.pos = start;
  while (c.pos < end) {
    const at = c.pos;
    const key = await varint(c);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) throw new ProtobufError(`field number 0 at offset ${at}`, at);
    let f: Field;
    switch (wire) {
      case 0:
        f = { field, wire, value: await varint(c), start: 0, length: 0 };
        break;
      case 1:
        await c.ensure(8);
        c.skip(8);
        f = { field, wire, value: 0, start: c.pos - 8, length: 8 };
        break;
      case 5:
        await c.ensure(4);
        c.skip(4);
        f = { field, wire, value: 0, start: c.pos - 4, length: 4 };
        break;
      case 2: {
        const len = await varint(c);
        if (c.pos + len > end) throw new ProtobufError(`field ${field} at offset ${at} declares ${len} bytes, past the end of its message (${end - c.pos} left)`, at);
        f = { field, wire, value: 0, start: c.pos, length: len };
        c.pos += len; // skip now: visit reads the payload itself if it wants it
        break;
      }
      default:
        throw new ProtobufError(`unsupported wire type ${wire} for field ${field} at offset ${at}`, at);
    }
    const resume = c.pos;
    await visit(f);
    c.pos = resume;
  }
  if (c.pos !== end) throw new ProtobufError(`message overruns its length at offset ${c.pos}`, c.pos);
}

/** Walks a message already in memory (cheap, synchronous-ish). */
export function walkBuffer(buf: Buffer, visit: (f: Field) => void): void {
  let p = 0;
  const vi = (): number => {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (p >= buf.length) throw new ProtobufError(`truncated varint at offset ${p}`, p);
      const b = buf[p++]!;
      v += (b & 0x7f) * mul;
      if (!(b & 0x80)) return v;
      mul *= 128;
    }
    throw new ProtobufError(`varint too long at offset ${p}`, p);
  };
  while (p < buf.length) {
    const at = p;
    const key = vi();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (field === 0) throw new ProtobufError(`field number 0 at offset ${at}`, at);
    if (wire === 0) visit({ field, wire, value: vi(), start: 0, length: 0 });
    else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (p + n > buf.length) throw new ProtobufError(`truncated fixed field at offset ${at}`, at);
      visit({ field, wire, value: 0, start: p, length: n });
      p += n;
    } else if (wire === 2) {
      const len = vi();
      if (p + len > buf.length) throw new ProtobufError(`field ${field} at offset ${at} declares ${len} bytes, past the end (${buf.length - p} left)`, at);
      visit({ field, wire, value: 0, start: p, length: len });
      p += len;
    } else throw new ProtobufError(`unsupported wire type ${wire} at offset ${at}`, at);
  }
}

/** Checks that `head` looks like a message whose fields are all in `allowed` (field → wire type). */
export function plausible(head: Buffer, allowed: Record<number, number>, minFields = 2): boolean {
  let p = 0;
  let n = 0;
  try {
    while (p < head.length && n < 8) {
      let key = 0;
      let mul = 1;
      let b: number;
      let i = 0;
      do {
        if (p >= head.length) return n >= minFields;
        b = head[p++]!;
        key += (b & 0x7f) * mul;
        mul *= 128;
      } while (b & 0x80 && ++i < 5);
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (allowed[field] !== wire) return false;
      if (wire === 0) {
        do {
          if (p >= head.length) return n >= minFields;
          b = head[p++]!;
        } while (b & 0x80);
      } else if (wire === 2) {
        let len = 0;
        mul = 1;
        do {
          if (p >= head.length) return n >= minFields;
          b = head[p++]!;
          len += (b & 0x7f) * mul;
          mul *= 128;
        } while (b & 0x80);
        p += len;
      } else if (wire === 1) p += 8;
      else if (wire === 5) p += 4;
      else return false;
      n++;
    }
  } catch {
    return false;
  }
  return n >= minFields;
}
