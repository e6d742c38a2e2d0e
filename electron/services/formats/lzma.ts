// Legacy .lzma ("LZMA alone", what joblib writes for compress='lzma'): a decoder that stops at an output
// cap. The JavaScript LZMA libraries decode whole streams without a limit, so a small bomb would become
// gigabytes in memory; this is a port of the LZMA SDK's reference decoder (LzmaSpec.cpp, public domain)
// with the whole output kept as the dictionary and every size and distance checked.
import { FormatError } from './io';

export class LzmaError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'LzmaError';
  }
}

/** Thrown internally when the output reaches the cap. */
const FULL = Symbol('full');

const PROB_INIT = 1 << 10;
const NUM_STATES = 12;
const POS_BITS_MAX = 4;
const END_POS_MODEL_INDEX = 14;
const NUM_FULL_DISTANCES = 1 << (END_POS_MODEL_INDEX >> 1);
const MATCH_MIN_LEN = 2;

class RangeDecoder {
  range = 0xffffffff;
  code = 0;
  private p: number;
  constructor(private readonly buf: Buffer, start: number) {
    this.p = start;
    if (this.byte() !== 0) throw new LzmaError('range coder does not start with a zero byte', start);
    for (let i = 0; i < 4; i++) this.code = ((this.code * 256) + this.byte()) >>> 0;
    if (this.code === this.range) throw new LzmaError('range coder starts in a corrupted state', start);
  }

  private byte(): number {
    if (this.p >= this.buf.length) throw new LzmaError(`LZMA data ends after ${this.buf.length} bytes, in the middle of the stream`, this.buf.length);
    return this.buf[this.p++]!;
  }

  finishedOk(): boolean {
    return this.code === 0;
  }

  private normalize(): void {
    if (this.range < 1 << 24) {
      this.range = (this.range * 256) >>> 0;
      this.code = ((this.code * 256) + this.byte()) >>> 0;
    }
  }

  direct(numBits: number): number {
    let res = 0;
    for (let i = 0; i < numBits; i++) {
      this.range >>>= 1;
      let bit = 0;
      if (this.code >= this.range) {
        this.code -= this.range;
        bit = 1;
      }
      if (this.code === this.range) throw new LzmaError('range coder is corrupted (direct bits)', this.p);
      this.normalize();
      res = res * 2 + bit;
    }
    return res;
  }

  bit(probs: Uint16Array, i: number): number {
    const v = probs[i]!;
    const bound = (this.range >>> 11) * v;
    let symbol: number;
    if (this.code < bound) {
      probs[i] = v + (((1 << 11) - v) >>> 5);
      this.range = bound;
      symbol = 0;
    } else {
      probs[i] = v - (v >>> 5);
      this.code -= bound;
      this.range -= bound;
      symbol = 1;
    }
    this.normalize();
    return symbol;
  }

  tree(probs: Uint16Array, offset: number, numBits: number): number {
    let m = 1;
    for (let i = 0; i < numBits; i++) m = (m << 1) + this.bit(probs, offset + m);
    return m - (1 << numBits);
  }

  reverse(probs: Uint16Array, offset: number, numBits: number): number {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < numBits; i++) {
      const b = this.bit(probs, offset + m);
      m = (m << 1) + b;
      symbol |= b << i;
    }
    return symbol;
  }
}

const probs = (n: number): Uint16Array => new Uint16Array(n).fill(PROB_INIT);

class LenDecoder {
  private readonly choice = probs(2);
  private readonly low = probs(16 << 3);
  private readonly mid = probs(16 << 3);
  private readonly high = probs(1 << 8);
  decode(rc: RangeDecoder, posState: number): number {
    if (rc.bit(this.choice, 0) === 0) return rc.tree(this.low, posState << 3, 3);
    if (rc.bit(this.choice, 1) === 0) return 8 + rc.tree(this.mid, posState << 3, 3);
    return 16 + rc.tree(this.high, 0, 8);
  }
}

/** The output, which is also the dictionary: grows up to `cap`, then stops the decoder. */
class Output {
  buf: Buffer;
  pos = 0;
  constructor(private readonly cap: number) {
    this.buf = Buffer.allocUnsafe(Math.min(cap, 1 << 20));
  }
  put(b: number): void {
    if (this.pos >= this.cap) throw FULL;
    if (this.pos === this.buf.length) {
      const next = Buffer.allocUnsafe(Math.min(this.cap, this.buf.length * 2));
      this.buf.copy(next, 0, 0, this.pos);
      this.buf = next;
    }
    this.buf[this.pos++] = b;
  }
  back(dist: number): number {
    return this.buf[this.pos - dist]!;
  }
}

/**
 * Decodes an LZMA-alone stream (13-byte header: properties, dictionary size, uncompressed size or -1).
 * Output past `cap` is an error, or with `partial` the first `cap` bytes (for sniffing what is inside).
 */
export function unlzma(input: Buffer, cap: number, partial = false): Buffer {
  if (input.length < 13) throw new LzmaError(`LZMA header needs 13 bytes, the data has ${input.length}`, 0);
  let d = input[0]!;
  if (d >= 9 * 5 * 5) throw new LzmaError(`LZMA properties byte 0x${d.toString(16)} is out of range`, 0);
  const lc = d % 9;
  d = Math.floor(d / 9);
  const lp = d % 5;
  const pb = Math.floor(d / 5);
  const dictSize = Math.max(1 << 12, input.readUInt32LE(1));
  const sizeLo = input.readUInt32LE(5);
  const sizeHi = input.readUInt32LE(9);
  const sizeKnown = !(sizeLo === 0xffffffff && sizeHi === 0xffffffff);
  let unpackSize = sizeKnown ? sizeHi * 2 ** 32 + sizeLo : Infinity;
  // A declared size over the cap fails before any work (unless only the head is wanted).
  if (sizeKnown && unpackSize > cap && !partial) throw new LzmaError(`LZMA stream declares ${unpackSize} bytes, over the ${cap}-byte cap`, 5);

  const out = new Output(cap);
  const rc = new RangeDecoder(input, 13);
  const lit = probs(0x300 << (lc + lp));
  const posSlot = probs(4 << 6);
  const posDecoders = probs(1 + NUM_FULL_DISTANCES - END_POS_MODEL_INDEX);
  const align = probs(1 << 4);
  const isMatch = probs(NUM_STATES << POS_BITS_MAX);
  const isRep = probs(NUM_STATES);
  const isRepG0 = probs(NUM_STATES);
  const isRepG1 = probs(NUM_STATES);
  const isRepG2 = probs(NUM_STATES);
  const isRep0Long = probs(NUM_STATES << POS_BITS_MAX);
  const lenDecoder = new LenDecoder();
  const repLenDecoder = new LenDecoder();
  let rep0 = 0;
  let rep1 = 0;
  let rep2 = 0;
  let rep3 = 0;
  let state = 0;
  const pbMask = (1 << pb) - 1;
  const lpMask = (1 << lp) - 1;

  const literal = (): void => {
    const prev = out.pos === 0 ? 0 : out.back(1);
    const base = 0x300 * (((out.pos & lpMask) << lc) + (prev >>> (8 - lc)));
    let symbol = 1;
    if (state >= 7) {
      let matchByte = out.back(rep0 + 1);
      do {
        const matchBit = (matchByte >>> 7) & 1;
        matchByte <<= 1;
        const bit = rc.bit(lit, base + ((1 + matchBit) << 8) + symbol);
        symbol = (symbol << 1) | bit;
        if (matchBit !== bit) break;
      } while (symbol < 0x100);
    }
    while (symbol < 0x100) symbol = (symbol << 1) | rc.bit(lit, base + symbol);
    out.put(symbol - 0x100);
  };

  const distance = (len: number): number => {
    const slot = rc.tree(posSlot, Math.min(len, 3) << 6, 6);
    if (slot < 4) return slot;
    const numDirect = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * 2 ** numDirect;
    if (slot < END_POS_MODEL_INDEX) dist += rc.reverse(posDecoders, dist - slot, numDirect);
    else dist += rc.direct(numDirect - 4) * 16 + rc.reverse(align, 0, 4);
    return dist;
  };

  try {
    for (;;) {
      if (sizeKnown && unpackSize === 0 && rc.finishedOk()) break;
      const posState = out.pos & pbMask;
      if (rc.bit(isMatch, (state << POS_BITS_MAX) + posState) === 0) {
        if (unpackSize === 0) throw new LzmaError('LZMA data goes on past its declared size');
        literal();
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        unpackSize--;
        continue;
      }
      let len: number;
      if (rc.bit(isRep, state) !== 0) {
        if (unpackSize === 0) throw new LzmaError('LZMA data goes on past its declared size');
        if (out.pos === 0) throw new LzmaError('LZMA stream repeats a match before any output');
        if (rc.bit(isRepG0, state) === 0) {
          if (rc.bit(isRep0Long, (state << POS_BITS_MAX) + posState) === 0) {
            state = state < 7 ? 9 : 11;
            out.put(out.back(rep0 + 1));
            unpackSize--;
            continue;
          }
        } else {
          let dist: number;
          if (rc.bit(isRepG1, state) === 0) dist = rep1;
          else {
            if (rc.bit(isRepG2, state) === 0) dist = rep2;
            else {
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        len = repLenDecoder.decode(rc, posState);
        state = state < 7 ? 8 : 11;
      } else {
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        len = lenDecoder.decode(rc, posState);
        state = state < 7 ? 7 : 10;
        rep0 = distance(len);
        if (rep0 === 0xffffffff) {
          if (rc.finishedOk()) break; // end marker
          throw new LzmaError('LZMA end marker is followed by damaged data');
        }
        if (unpackSize === 0) throw new LzmaError('LZMA data goes on past its declared size');
        if (rep0 >= dictSize || rep0 >= out.pos) throw new LzmaError(`LZMA match distance ${rep0 + 1} reaches before the start of the data (${out.pos} bytes so far, dictionary ${dictSize})`);
      }
      len += MATCH_MIN_LEN;
      const short = len > unpackSize;
      if (short) len = unpackSize;
      for (let i = 0; i < len; i++) out.put(out.back(rep0 + 1));
      unpackSize -= len;
      if (short) throw new LzmaError('LZMA match runs past the declared size');
    }
  } catch (e) {
    if (e !== FULL) throw e;
    if (!partial) throw new LzmaError(`LZMA data inflates past the ${cap}-byte cap`);
  }
  return out.buf.subarray(0, out.pos);
}
