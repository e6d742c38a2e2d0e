// Detection looks at bytes, not names: every corpus file renamed to "blob" keeps its format.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { detectFormat } from '../../../electron/services/formats/detect';
import { getCorpus, type Sample } from '../../fixtures/corpus/index';

let root: string;
let samples: Sample[];
beforeAll(async () => {
  ({ root, samples } = await getCorpus());
});

describe('detectFormat', () => {
  it('ignores extensions', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-detect-'));
    try {
      const mismatches: string[] = [];
      for (const s of samples) {
        const p = path.join(root, s.path);
        if (fs.statSync(p).isDirectory()) continue;
        const blob = path.join(tmp, 'blob');
        fs.copyFileSync(p, blob);
        const [a, b] = [await detectFormat(p), await detectFormat(blob)];
        // JSON kinds may use the file name as a hint (config.json): everything else must agree.
        if (a.format !== b.format && !['hf-config', 'hf-tokenizer', 'json'].includes(a.format)) mismatches.push(`${s.path}: ${a.format} vs ${b.format}`);
      }
      expect(mismatches).toEqual([]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('names every format of the issue from bytes alone (files renamed to "blob")', async () => {
    const expected: Record<string, string> = {
      'benign/tiny-llama.gguf': 'gguf', 'benign/model.safetensors': 'safetensors', 'benign/model.onnx': 'onnx',
      'benign/torch_state_dict.pt': 'pytorch', 'benign/pytorch_model.bin': 'pytorch', 'benign/torch_state_dict_p4.pth': 'pytorch',
      'malicious/torch_zip_unusual_location.pt': 'pytorch', 'benign/torch_legacy.pt': 'pytorch-legacy',
      ...Object.fromEntries([0, 1, 2, 3, 4, 5].map((p) => [`benign/nested_p${p}.pkl`, 'pickle'])),
      'benign/model.joblib': 'joblib', 'benign/model_p2.joblib': 'joblib', 'benign/model.joblib.gz': 'joblib',
      'benign/array.npy': 'npy', 'benign/arrays.npz': 'npz', 'benign/arrays_compressed.npz': 'npz',
      'benign/model.keras': 'keras', 'benign/model.h5': 'keras-h5', 'benign/lgbm.txt': 'lightgbm', 'benign/model.cbm': 'catboost',
      'benign/bundle.zip': 'zip', 'benign/bundle.tar': 'tar', 'benign/bundle.tar.gz': 'tar', 'benign/savedmodel/saved_model.pb': 'tf-savedmodel',
    };
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-detect-'));
    try {
      const blob = path.join(tmp, 'blob');
      const got: Record<string, string> = {};
      for (const rel of Object.keys(expected)) {
        fs.copyFileSync(path.join(root, rel), blob);
        got[rel] = (await detectFormat(blob)).format;
      }
      expect(got).toEqual(expected);
      // XGBoost: UBJSON (the default since 2.1: '{', a length-typed key "learner") and the legacy "binf" binary.
      const ubj = Buffer.concat([Buffer.from('{L'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 7]), Buffer.from('learner{L'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 10]), Buffer.from('attributes{}}}')]);
      const ubjSmall = Buffer.concat([Buffer.from('{i'), Buffer.from([7]), Buffer.from('learner{i'), Buffer.from([9]), Buffer.from('objective{}}}')]);
      for (const [bytes, fmt] of [[ubj, 'xgboost'], [ubjSmall, 'xgboost'], [Buffer.concat([Buffer.from('binf'), Buffer.alloc(132)]), 'xgboost'], [Buffer.from('{"learner": {}, "version": [2, 1, 0]}'), 'xgboost']] as const) {
        fs.writeFileSync(blob, bytes);
        expect((await detectFormat(blob)).format).toBe(fmt);
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('detects folders', async () => {
    expect((await detectFormat(path.join(root, 'benign/hf_model'))).format).toBe('hf-folder');
    expect((await detectFormat(path.join(root, 'benign/savedmodel'))).format).toBe('tf-savedmodel');
  });

  it('calls plain text and empty files unknown', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-detect-'));
    try {
      for (const [n, c] of [['readme', '# Model card\nLicense: MIT'], ['empty', ''], ['csv', 'a,b\n1,2\n']]) {
        fs.writeFileSync(path.join(tmp, n!), c!);
        expect((await detectFormat(path.join(tmp, n!))).format).toBe('unknown');
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
