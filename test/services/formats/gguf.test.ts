import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GgufError, match, read } from '../../../electron/services/formats/gguf';
import { BufferSource, FileSource } from '../../../electron/services/formats/io';
import { inspectPath } from '../../../electron/services/formats/inspect';
import { LLAMA3_TEMPLATE, tinyLlama, writeGguf, type GgufKv } from '../../fixtures/corpus/gguf';

const src = (b: Buffer): BufferSource => new BufferSource('t.gguf', b);

describe('gguf', () => {
  it('matches on magic bytes only', () => {
    expect(match(writeGguf(tinyLlama(null)))).toBe(true);
    expect(match(Buffer.from('GGML'))).toBe(false);
  });

  it('reads architecture, context, quantization, tensors, tokenizer and template', async () => {
    const g = await read(src(writeGguf(tinyLlama(LLAMA3_TEMPLATE))));
    expect(g).toMatchObject({
      version: 3, architecture: 'llama', name: 'tiny-llama', contextLength: 2048, fileType: 'MOSTLY_Q8_0',
      tokenizerModel: 'gpt2', vocabSize: 40, tensorCount: 4, quantization: { Q8_0: 2, Q4_K: 1, F32: 1 },
      parameterCount: 64 * 40 + 64 * 64 + 256 * 64 + 64, issues: [],
    });
    expect(g.chatTemplates['tokenizer.chat_template']).toBe(LLAMA3_TEMPLATE);
    expect(g.tensors[2]).toMatchObject({ name: 'blk.0.ffn_up.weight', type: 'Q4_K', shape: [256, 64], bytes: (256 * 64 / 256) * 144 });
    // Arrays are dumped as type + count + the first items, never in full.
    expect(g.kv['tokenizer.ggml.tokens']).toEqual({ type: 'string', count: 40, head: ['tok0', 'tok1', 'tok2', 'tok3', 'tok4', 'tok5', 'tok6', 'tok7'] });
    expect(g.kv['llama.block_count']).toBe(1);
  });

  it('reads GGUF v2 and v1 headers', async () => {
    expect((await read(src(writeGguf({ ...tinyLlama(null), version: 2 })))).version).toBe(2);
    // v1 used 32-bit counts and lengths: hand-made minimal file
    const b = Buffer.alloc(4 + 4 + 4 + 4 + 4 + 4 + 4 + 4);
    b.write('GGUF');
    b.writeUInt32LE(1, 4);
    b.writeUInt32LE(0, 8);
    b.writeUInt32LE(1, 12);
    b.writeUInt32LE(4, 16);
    b.write('abcd', 20);
    b.writeUInt32LE(4, 24);
    b.writeUInt32LE(7, 28);
    const g = await read(src(b));
    expect(g.kv.abcd).toBe(7);
  });

  it('throws typed errors quoting values and offsets', async () => {
    const base = tinyLlama(null);
    await expect(read(src(writeGguf({ ...base, kvCountOverride: 1n << 40n })))).rejects.toThrow(/kv count 1099511627776 at offset 16/);
    await expect(read(src(writeGguf({ ...base, truncateAt: 100 })))).rejects.toBeInstanceOf(GgufError);
    await expect(read(src(Buffer.from('GGUF\x09\0\0\0', 'latin1')))).rejects.toThrow(/unsupported GGUF version 9 at offset 4/);
    const hugeString = Buffer.concat([Buffer.from('GGUF'), Buffer.from([3, 0, 0, 0]), Buffer.alloc(8), Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x40]), Buffer.alloc(32)]);
    await expect(read(src(hugeString))).rejects.toThrow(/key length .* at offset 24/);
  });

  it('reports tensors past EOF, misaligned or overlapping', async () => {
    const base = tinyLlama(null);
    const g = await read(src(writeGguf({ ...base, tensors: [...base.tensors, { name: 'x', dims: [32], type: 0, offset: 1 << 30 }] })));
    expect(g.issues.map((i) => i.message).join('\n')).toMatch(/tensor "x" data .* runs past the end/);
    const m = await read(src(writeGguf({ ...base, tensors: base.tensors.map((t, i) => (i === 1 ? { ...t, offset: 3 } : t)) })));
    expect(m.issues.map((i) => i.message).join('\n')).toMatch(/not aligned to 32[\s\S]*overlaps/);
  });

  it('inspects a 10 GB (sparse) GGUF with a 150k vocabulary quickly: only the header is read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-gguf-'));
    try {
      const big = Math.ceil(10 * 2 ** 30 / (4 * 4096));
      const vocab = Array.from({ length: 150_000 }, (_, i) => `tok_${i}`);
      const spec = {
        kv: [
          ['general.architecture', 'string', 'llama'], ['tokenizer.ggml.model', 'string', 'gpt2'],
          ['tokenizer.ggml.tokens', 'string[]', vocab], ['tokenizer.ggml.merges', 'string[]', vocab.map((t) => `${t} x`)],
          ['tokenizer.ggml.scores', 'f32[]', vocab.map((_, i) => i)],
        ] as GgufKv[],
        tensors: [{ name: 'w', dims: [4096, big], type: 0 }], dataBytesOverride: 0,
      };
      const file = path.join(dir, 'big.gguf');
      fs.writeFileSync(file, writeGguf(spec));
      fs.truncateSync(file, fs.statSync(file).size + 4096 * big * 4 + 64); // sparse: no data written
      // Only the header may be read: count the bytes the parser asks for.
      const fsrc = await FileSource.open(file);
      let readBytes = 0;
      const counting = { name: fsrc.name, size: fsrc.size, close: () => fsrc.close(), read: async (o: number, n: number) => { const b = await fsrc.read(o, n); readBytes += b.length; return b; } };
      const g = await read(counting);
      await counting.close();
      expect(g.vocabSize).toBe(150_000);
      expect(readBytes).toBeLessThan(g.dataOffset + (2 << 20));
      // Timing after one untimed call: the first call pays for JIT compilation, not for file size.
      await inspectPath(file);
      const t0 = performance.now();
      const r = await inspectPath(file);
      const ms = performance.now() - t0;
      console.log(`inspect of a ${(r.bytes as number / 2 ** 30).toFixed(1)} GiB GGUF with 300k vocabulary strings: ${ms.toFixed(1)} ms`);
      expect(r).toMatchObject({ format: 'gguf', tensorCount: 1, vocabSize: 150_000, issues: [] });
      expect(r.bytes).toBeGreaterThan(10 * 2 ** 30);
      expect(ms).toBeLessThan(500);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
