import { describe, expect, it } from 'vitest';
import { BufferSource } from '../../../electron/services/formats/io';
import { Hdf5Error, readRootAttributes } from '../../../electron/services/formats/hdf5';

describe('HDF5 reader on hostile bytes', () => {
  // Found by the fuzzer: a v0 superblock whose root object header lies on the file's last byte.
  it('reports a cut-short object header as its own error, not a RangeError', async () => {
    const b = Buffer.from([137, 72, 68, 70, 13, 10, 26, 10, 0, 1, 0, 0, 0, 8, 8, 0, 4, 0, 16, 0, ...new Array(12).fill(0), ...new Array(8).fill(255), 128, 5, 0, 0, 0, 0, 0, 0, ...new Array(8).fill(255), ...new Array(8).fill(0), 96, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 232, 2, 0, 0, 0, 0, 0, 0, 8, 5, 0, 0, 0, 0, 0, 0, 1]);
    const err = await readRootAttributes(new BufferSource('x.h5', b)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Hdf5Error);
    expect((err as Error).message).toMatch(/runs past its 1-byte structure/);
  });
});
