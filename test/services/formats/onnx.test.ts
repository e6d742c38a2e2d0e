import { describe, expect, it } from 'vitest';
import { BufferSource } from '../../../electron/services/formats/io';
import { match, OnnxError, read } from '../../../electron/services/formats/onnx';
import { match as savedModelMatch } from '../../../electron/services/formats/savedmodel';
import { deepOnnx, writeOnnx, writeSavedModel, BENIGN_TF_NODES } from '../../fixtures/corpus/protos';

const src = (b: Buffer): BufferSource => new BufferSource('m.onnx', b);
const nodes = [{ op_type: 'MatMul', input: ['x', 'w'], output: ['h'] }, { op_type: 'Relu', input: ['h'], output: ['y'] }, { op_type: 'Relu', input: ['y'], output: ['z'] }];

describe('onnx', () => {
  it('matches ModelProto bytes and not SavedModel bytes', () => {
    const m = writeOnnx({ nodes });
    expect(match(m, { name: 'x.bin', size: m.length })).toBe(true);
    const s = writeSavedModel(BENIGN_TF_NODES);
    expect(savedModelMatch(s)).toBe(true);
    expect(match(s, { name: 'saved_model.pb', size: s.length }) && !savedModelMatch(s)).toBe(false);
    expect(match(Buffer.from('hello world'))).toBe(false);
  });

  it('reads opset, producer, inputs/outputs with shapes, op histogram and initializers', async () => {
    const r = await read(src(writeOnnx({ nodes, initializers: [{ name: 'w', dims: [4, 2] }], inputs: [{ name: 'x', elem: 1, shape: ['batch', 4] }, { name: 'w', elem: 1, shape: [4, 2] }] })));
    expect(r).toMatchObject({
      irVersion: 8, opset: 17, producerName: 'hallmark-corpus', producerVersion: '1.0', nodeCount: 3,
      opHistogram: { MatMul: 1, Relu: 2 }, initializerCount: 1, parameterCount: 8, metadata: { author: 'corpus' },
      inputs: [{ name: 'x', type: 'tensor(float32)', shape: ['batch', 4] }],
      outputs: [{ name: 'y', type: 'tensor(float32)', shape: ['batch', 2] }],
    });
  });

  it('reports external data references and custom domains', async () => {
    const r = await read(src(writeOnnx({
      nodes: [...nodes, { op_type: 'Magic', domain: 'com.acme', input: ['z'], output: ['q'] }],
      initializers: [{ name: 'w', dims: [4, 2], external: { location: '../w.bin', offset: '64', length: '32' } }],
    })));
    expect(r.externalData).toEqual([{ tensor: 'w', where: 'initializer "w"', location: '../w.bin', offset: 64, length: 32 }]);
    expect(r.nodeDomains).toMatchObject({ 'com.acme': 1, 'ai.onnx': 3 });
    expect(r.opHistogram['com.acme::Magic']).toBe(1);
  });

  it('never reads initializer bytes', async () => {
    const big = writeOnnx({ nodes, initializers: [{ name: 'w', dims: [512, 1024] }] });
    let bytesRead = 0;
    const s = src(big);
    const spy = { name: s.name, size: s.size, close: async () => {}, read: async (o: number, l: number) => { bytesRead += l; return s.read(o, l); } };
    await read(spy);
    // ReadAhead blocks may overlap the weights once, but the walk itself steps over them.
    expect(bytesRead).toBeLessThan(big.length * 2);
  });

  it('throws typed errors for damage and limits', async () => {
    await expect(read(src(writeOnnx({ nodes }).subarray(0, 20)))).rejects.toBeInstanceOf(OnnxError);
    await expect(read(src(deepOnnx(40)))).rejects.toThrow(/deeper than/);
    await expect(read(src(Buffer.from([0x08, 0x08, 0x3a, 0x7f])))).rejects.toThrow(/declares 127 bytes/);
  });
});
