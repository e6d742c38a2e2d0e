import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FileSource } from '../../../electron/services/formats/io';
import { inspectPath } from '../../../electron/services/formats/inspect';
import { match as pickleMatch } from '../../../electron/services/formats/pickle/read';
import { getCorpus } from '../../fixtures/corpus/index';

let root: string;
beforeAll(async () => {
  root = (await getCorpus()).root;
});

describe('pytorch and pickle formats', () => {
  it('reads tensor names, dtypes and shapes from a torch.save zip without unpickling', async () => {
    const r = await inspectPath(path.join(root, 'benign/torch_state_dict.pt'));
    expect(r).toMatchObject({
      format: 'pytorch', variant: 'pytorch', archivePrefix: 'archive', serializationVersion: '3', byteorder: 'little',
      protocol: 2, tensorCount: 2, parameterCount: 9, dtypes: { float32: 2 },
      tensors: [{ name: 'linear.weight', dtype: 'float32', shape: [2, 3], storage: '0' }, { name: 'linear.bias', dtype: 'float32', shape: [3], storage: '1' }],
    });
  });

  it('reads the legacy (non-zip) torch.save layout', async () => {
    const r = await inspectPath(path.join(root, 'benign/torch_legacy.pt'));
    expect(r).toMatchObject({ format: 'pytorch-legacy', pickles: 5, tensorCount: 2, parameterCount: 9 });
  });

  it('detects pickles of every protocol from bytes', async () => {
    for (let p = 0; p <= 5; p++) {
      const b = fs.readFileSync(path.join(root, `benign/nested_p${p}.pkl`));
      expect(pickleMatch(b), `protocol ${p}`).toBe(true);
      expect((await inspectPath(path.join(root, `benign/nested_p${p}.pkl`))).format).toBe('pickle');
    }
    for (const text of ['License: MIT\n', 'I am a text file\n', 'c\n', '(not a pickle', 'Some notes about os.system\n']) expect(pickleMatch(Buffer.from(text)), text).toBe(false);
  });

  it('reports imports in inspect output', async () => {
    const r = await inspectPath(path.join(root, 'malicious/os_system_p2.pkl'));
    expect(r.imports).toEqual([{ module: 'posix', name: 'system', count: 1 }]);
  });

  it('inspects joblib (compressed too) and numpy', async () => {
    expect(await inspectPath(path.join(root, 'benign/model.joblib.gz'))).toMatchObject({ format: 'joblib', compression: 'gzip', pickles: 1 });
    expect(await inspectPath(path.join(root, 'benign/array.npy'))).toMatchObject({ format: 'npy', dtype: '<f4', shape: [2, 3], objectArray: false, issues: [] });
    const npz = await inspectPath(path.join(root, 'benign/arrays.npz'));
    expect(npz).toMatchObject({ format: 'npz', arrayCount: 2, arrays: [{ name: 'a', dtype: '<f4', shape: [2, 3] }, { name: 'b', dtype: '<i8', shape: [3] }] });
    const src = await FileSource.open(path.join(root, 'benign/arrays_compressed.npz'));
    await src.close();
  });
});
