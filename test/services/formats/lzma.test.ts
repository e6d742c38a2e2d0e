// The bounded LZMA-alone decoder against Python's own lzma module (stdlib, FORMAT_ALONE as joblib writes
// it): identical bytes back, the cap honoured, damage reported as the format's error, never a crash.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LzmaError, unlzma } from '../../../electron/services/formats/lzma';
import { FormatError } from '../../../electron/services/formats/io';

const pyCompress = (data: Buffer, extra = ''): Buffer =>
  execFileSync('python3', ['-c', `import lzma,sys; sys.stdout.buffer.write(lzma.compress(sys.stdin.buffer.read(), format=lzma.FORMAT_ALONE${extra}))`], { input: data, maxBuffer: 256 << 20 });

describe('unlzma', () => {
  const inputs: Array<[string, Buffer]> = [
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('x')],
    ['text', Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(500))],
    ['random', crypto.randomBytes(300_000)],
    ['runs', Buffer.concat([Buffer.alloc(2 << 20, 7), crypto.randomBytes(1000), Buffer.alloc(1 << 20, 9)])],
    ['pickle-like', Buffer.concat(Array.from({ length: 2000 }, (_, i) => Buffer.from(`\x80\x04\x95cnumpy\ndtype\n${i % 17}q\x00.`, 'latin1')))],
  ];
  for (const [name, data] of inputs) {
    it(`decodes what Python's lzma wrote: ${name}`, () => {
      expect(unlzma(pyCompress(data), 64 << 20).equals(data)).toBe(true);
    });
  }

  it('decodes other literal/position settings (lc, lp, pb)', () => {
    const data = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7) % 251));
    const c = pyCompress(data, ", filters=[{'id': lzma.FILTER_LZMA1, 'lc': 0, 'lp': 2, 'pb': 0, 'dict_size': 1 << 16}]");
    expect(unlzma(c, 1 << 20).equals(data)).toBe(true);
  });

  it('stops a bomb at the cap, or returns the head when asked for part', () => {
    const bomb = pyCompress(Buffer.alloc(64 << 20));
    expect(bomb.length).toBeLessThan(64 << 10);
    expect(() => unlzma(bomb, 1 << 20)).toThrow(/inflates past the 1048576-byte cap/);
    const head = unlzma(bomb, 4096, true);
    expect(head.length).toBe(4096);
  });

  it('refuses a declared size over the cap before decoding', () => {
    const c = Buffer.from(pyCompress(Buffer.from('hello')));
    c.writeUInt32LE(0, 9);
    c.writeUInt32LE(1 << 30, 5);
    expect(() => unlzma(c, 1 << 20)).toThrow(/declares 1073741824 bytes/);
  });

  it('reports damaged or truncated streams as its own error, never a crash or a hang', () => {
    const good = pyCompress(Buffer.from('abc'.repeat(10_000)));
    expect(() => unlzma(good.subarray(0, good.length - 20), 1 << 20)).toThrow(LzmaError);
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.nat(good.length), (noise, at) => {
      const b = Buffer.concat([good.subarray(0, at), Buffer.from(noise)]);
      try {
        unlzma(b, 1 << 20);
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
      }
    }), { numRuns: 300 });
  });
});
