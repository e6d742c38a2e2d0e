import { describe, expect, it } from 'vitest';
import { BufferSource } from '../../../electron/services/formats/io';
import { NpyError, parsePyLiteral, read, readHeader } from '../../../electron/services/formats/numpy';

function npy(header: string, data: Buffer, version = 1): Buffer {
  let h = header;
  while ((10 + h.length + 1) % 64) h += ' ';
  h += '\n';
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const len = Buffer.alloc(version === 1 ? 2 : 4);
  if (version === 1) len.writeUInt16LE(h.length);
  else len.writeUInt32LE(h.length);
  return Buffer.concat([pre, len, Buffer.from(h, 'latin1'), data]);
}

describe('numpy', () => {
  it('parses the header literal without eval', () => {
    expect(parsePyLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")).toEqual({ descr: '<f4', fortran_order: false, shape: [2, 3] });
    expect(parsePyLiteral("[('a', '<i4'), ('b', '<f8', (2,))]")).toEqual([['a', '<i4'], ['b', '<f8', [2]]]);
    expect(() => parsePyLiteral("{'descr': __import__('os')}")).toThrow(NpyError);
    expect(() => parsePyLiteral('('.repeat(100))).toThrow(/nesting too deep/);
  });

  it('reads v1 and v2 headers, structured dtypes, and checks the data size', async () => {
    const a = await read(new BufferSource('a.npy', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Buffer.alloc(24))));
    expect(a.summary).toMatchObject({ dtype: '<f4', shape: [2, 3], objectArray: false });
    expect(a.issues).toEqual([]);
    const b = await read(new BufferSource('b.npy', npy("{'descr': [('x', '<i4'), ('y', '<f8')], 'fortran_order': True, 'shape': (2,), }", Buffer.alloc(10), 2)));
    expect(b.header.itemSize).toBe(12);
    expect(b.issues[0]!.message).toMatch(/needs 24 bytes of data, the file has 10/);
    const o = await readHeader(new BufferSource('o.npy', npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", Buffer.from([0x80, 2, 0x4e, 0x2e]))));
    expect(o.hasObject).toBe(true);
  });

  it('rejects bad headers with typed errors', async () => {
    await expect(readHeader(new BufferSource('x', npy("{'shape': 'x'}", Buffer.alloc(0))))).rejects.toThrow(/shape "x" is not a tuple/);
    const huge = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0xff, 0xff, 0xff, 0x7f]);
    await expect(readHeader(new BufferSource('x', huge))).rejects.toThrow(/exceeds/);
  });
});
