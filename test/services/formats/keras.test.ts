import { describe, expect, it } from 'vitest';
import { BufferSource } from '../../../electron/services/formats/io';
import { analyzeConfig, match, readH5 } from '../../../electron/services/formats/keras';
import { readKerasMetadata, read as readSavedModel } from '../../../electron/services/formats/savedmodel';
import { fakeH5, kerasH5Config } from '../../fixtures/corpus/index';
import { BENIGN_TF_NODES, writeKerasMetadata, writeSavedModel } from '../../fixtures/corpus/protos';

describe('keras', () => {
  it('reads model_config from the HDF5 root attributes', async () => {
    const cfg = kerasH5Config([{ class_name: 'Dense', config: { name: 'd', units: 2 } }]);
    const b = fakeH5(cfg);
    expect(match(b)).toBe(true);
    const h = await readH5(new BufferSource('m.h5', b));
    expect(h).toMatchObject({ isKeras: true, kerasVersion: '2.15.0', backend: 'tensorflow', hasTrainingConfig: true, modelConfig: cfg });
  });

  it('finds Lambda layers (keras 2 and 3) and custom objects in nested configs', () => {
    const code = Buffer.from('\xe3\x00\x02os\x06system', 'latin1').toString('base64');
    const a = analyzeConfig({
      class_name: 'Functional', config: { name: 'f', layers: [
        { class_name: 'Lambda', config: { name: 'l2', function: [code, null, null], function_type: 'lambda' } },
        { class_name: 'TimeDistributed', config: { name: 'td', layer: { class_name: 'Lambda', config: { name: 'l3', function: { class_name: '__lambda__', config: { code } } } } } },
        { class_name: 'Lambda', config: { name: 'byref', function: 'my_fn', function_type: 'function', module: 'mymod' } },
        { module: 'evil.layers', class_name: 'X', config: { name: 'x' } },
        { module: 'keras.layers', class_name: 'Dense', config: { name: 'ok' } },
      ] },
    });
    expect(a.lambdas.map((l) => [l.layer, l.encoding])).toEqual([['l2', 'bytecode'], ['l3', 'bytecode'], ['byref', 'reference']]);
    expect(a.lambdas[0]!.names).toEqual(expect.arrayContaining(['os', 'system']));
    expect(a.customObjects).toEqual([{ path: 'config.layers[3]', module: 'evil.layers', className: 'X' }]);
    expect(a.layerClasses).toMatchObject({ Lambda: 3, Dense: 1, TimeDistributed: 1 });
  });
});

describe('savedmodel', () => {
  it('reads meta graphs, tags, signatures, ops (graph and functions)', async () => {
    const b = writeSavedModel([...BENIGN_TF_NODES, { name: 'r', op: 'ReadFile' }], [{ name: 'f1', nodes: [{ name: 'p', op: 'EagerPyFunc' }] }]);
    const r = await readSavedModel(new BufferSource('saved_model.pb', b), new Set(['ReadFile', 'EagerPyFunc']));
    expect(r.schemaVersion).toBe(1);
    expect(r.metaGraphs[0]).toMatchObject({ tags: ['serve'], tensorflowVersion: '2.15.0', signatures: ['serving_default'], functionCount: 1 });
    expect(r.opHistogram).toMatchObject({ MatMul: 1, SaveV2: 1, ReadFile: 1, EagerPyFunc: 1 });
    expect(r.flagged.map((n) => `${n.op}@${n.scope}`)).toEqual(['ReadFile@graph', 'EagerPyFunc@function f1']);
  });

  it('reads keras_metadata.pb JSON objects', async () => {
    const objs = await readKerasMetadata(new BufferSource('k', writeKerasMetadata([{ class_name: 'Dense', config: {} }])));
    expect(objs).toEqual([{ class_name: 'Dense', config: {} }]);
  });
});
