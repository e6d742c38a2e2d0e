// CI gates run `hallmark scan` / `hallmark list` per file: they must not load the inference stack or the
// HTTP server at start-up (each of those costs hundreds of milliseconds). Checked on the bundled CLI.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const cli = path.join(repo, 'out/cli/hallmark.js');
const hooks = path.join(repo, 'test/fixtures/node/registerLogImports.mjs');
const HEAVY = ['node-llama-cpp', 'onnxruntime-node', 'systeminformation', 'fastify', 'protobufjs'];

function importsOf(...args: string[]): string[] {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-startup-'));
  try {
    const r = spawnSync(process.execPath, ['--import', hooks, cli, '--home', home, ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return [...new Set([...r.stderr.matchAll(/^\[import\] (\S+)$/gm)].map((m) => m[1]!))];
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

beforeAll(() => {
  // `npm test` builds first; a lone `vitest run` builds the CLI here.
  if (!fs.existsSync(cli)) execFileSync(process.execPath, [path.join(repo, 'scripts/build-cli.mjs')], { cwd: repo, stdio: 'ignore' });
});

describe('bundled CLI start-up', () => {
  it('the hooks see imports at all (gpu loads node-llama-cpp)', () => {
    expect(importsOf('gpu', '--json')).toContain('node-llama-cpp');
  });

  it('help and version load none of the heavy packages (the inference stack loads inside the command)', () => {
    for (const args of [['--help'], ['--version']]) expect(importsOf(...args).filter((p) => HEAVY.includes(p)), args.join(' ')).toEqual([]);
  });

  it('scan and list load none of the heavy packages', () => {
    const file = path.join(os.tmpdir(), `hallmark-startup-${process.pid}.txt`);
    fs.writeFileSync(file, 'plain text');
    try {
      for (const args of [['scan', file, '--json'], ['list', '--json']]) {
        const loaded = importsOf(...args);
        expect(loaded.filter((p) => HEAVY.includes(p)), args.join(' ')).toEqual([]);
      }
      // scan opens no registry: the database layer and its hashing (node:crypto, via AppContext) stay unloaded
      expect(importsOf('scan', file, '--json')).not.toContain('node:crypto');
      expect(importsOf('list', '--json')).toContain('node:crypto');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
});
