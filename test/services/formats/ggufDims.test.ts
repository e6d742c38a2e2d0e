import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GgufError, read } from '../../../electron/services/formats/gguf';
import { FileSource } from '../../../electron/services/formats/io';
import { inspectPath } from '../../../electron/services/formats/inspect';
import { scanPaths } from '../../../electron/services/scan/scanner';
import { cliRunner } from '../../helpers/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-gguf-dims-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A GGUF v3 with one tensor "t" of the given dims and ggml type, written byte by byte (the fixture writer cannot express such sizes). */
function ggufWithDims(file: string, dims: bigint[], type = 0): string {
  const parts: Buffer[] = [];
  const u32 = (n: number) => parts.push(Buffer.from(new Uint32Array([n]).buffer));
  const u64 = (n: bigint) => parts.push(Buffer.from(new BigUint64Array([n]).buffer));
  u32(0x46554747); u32(3); u64(1n); u64(0n);
  u64(1n); parts.push(Buffer.from('t'));
  u32(dims.length);
  for (const d of dims) u64(d);
  u32(type); u64(0n);
  const head = Buffer.concat(parts);
  fs.writeFileSync(file, Buffer.concat([head, Buffer.alloc(32 - (head.length % 32) + 64)]));
  return file;
}

const CASES: Array<[string, bigint[], number]> = [
  ['2^62 alone (F32)', [1n << 62n], 0],
  ['2^62 × 4', [1n << 62n, 4n], 0],
  ['2^32 × 2^32', [1n << 32n, 1n << 32n], 2],
  ['2^62 × 2^62 (Q4_K)', [1n << 62n, 1n << 62n], 12],
  ['2^62 × 0', [1n << 62n, 0n], 0],
  ['2^64 - 1', [(1n << 64n) - 1n], 8],
];

describe('GGUF tensors whose dimensions overflow', () => {
  it('inspect reports the GgufError quoting the dimensions (inspect returns format errors, it does not throw)', async () => {
    for (const [label, dims, type] of CASES) {
      const f = ggufWithDims(path.join(dir, `${label.replace(/\W+/g, '_')}.gguf`), dims, type);
      const r = await inspectPath(f);
      expect({ label, errorType: r.errorType, errorOffset: r.errorOffset }).toEqual({ label, errorType: 'GgufError', errorOffset: 24 });
      expect(r.error).toContain(`tensor "t" at offset 24 has dimensions [${dims.join(', ')}]`);
    }
    // The reader itself throws the format's error type.
    const src = await FileSource.open(ggufWithDims(path.join(dir, 'read.gguf'), [1n << 62n], 0));
    try {
      await expect(read(src)).rejects.toBeInstanceOf(GgufError);
    } finally {
      await src.close();
    }
  });

  it('scan reports a gguf.malformed finding quoting the dimensions, not a crash', async () => {
    const f = ggufWithDims(path.join(dir, 'scan.gguf'), [1n << 62n, 4n], 0);
    const r = await scanPaths([f]);
    const findings = r.files[0]!.findings;
    expect(findings).toEqual([expect.objectContaining({ severity: 'high', rule: 'gguf.malformed', location: 'byte 24', detail: expect.stringContaining('dimensions [4611686018427387904, 4] (18446744073709551616 elements)') })]);
  });

  it('the CLI says so: inspect exits 2 with the message, scan exits 1 with the finding', async () => {
    const f = ggufWithDims(path.join(dir, 'cli.gguf'), [1n << 62n], 0);
    const hallmark = cliRunner(path.join(dir, 'home'));
    const i = await hallmark('inspect', f);
    expect(i.code).toBe(2);
    expect(i.stderr).toContain('has dimensions [4611686018427387904]');
    const s = await hallmark('--json', 'scan', f);
    expect(s.code).toBe(1);
    expect(JSON.stringify(s.json)).toContain('has dimensions [4611686018427387904]');
  });

  it('still reads a large but addressable tensor', async () => {
    const f = ggufWithDims(path.join(dir, 'big.gguf'), [1n << 20n, 1n << 20n], 0);
    const r = await inspectPath(f);
    expect(r).toMatchObject({ format: 'gguf', parameterCount: 2 ** 40 });
  });
});
