import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFolder } from '../../../electron/services/fs/listFolder';

describe('listFolder', () => {
  it('stops at maxDepth and maxEntries, listing folders before their contents', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hm-listfolder-'));
    try {
      fs.mkdirSync(path.join(dir, 'a', 'b', 'c'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'a', 'b', 'c', 'deep.bin'), 'xy');
      fs.writeFileSync(path.join(dir, 'a', 'top.bin'), 'x');
      expect((await listFolder(dir)).map((e) => `${e.rel}:${e.kind}:${e.size}`)).toEqual(['a:dir:0', 'a/b:dir:0', 'a/b/c:dir:0', 'a/b/c/deep.bin:file:2', 'a/top.bin:file:1']);
      expect((await listFolder(dir, 100, 1)).map((e) => e.rel)).toEqual(['a', 'a/b', 'a/top.bin']);
      expect(await listFolder(dir, 2)).toHaveLength(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
