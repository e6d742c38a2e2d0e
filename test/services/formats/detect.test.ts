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
