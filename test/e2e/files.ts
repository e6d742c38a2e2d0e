// Small real model files for the e2e tests.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** A valid safetensors file: one F32 tensor of `n` values derived from `seed`. */
export function safetensors(n: number, seed: number): Buffer {
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) data.writeFloatLE(Math.sin(i * 0.37 + seed), i * 4);
  const header = Buffer.from(JSON.stringify({ __metadata__: { seed: String(seed) }, weight: { dtype: 'F32', shape: [n], data_offsets: [0, data.length] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, data]);
}

export function writeModel(dir: string, name: string, n = 256, seed = 1): { path: string; sha256: string; size: number } {
  const p = path.join(dir, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  const b = safetensors(n, seed);
  fs.writeFileSync(p, b);
  return { path: p, sha256: createHash('sha256').update(b).digest('hex'), size: b.length };
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** protocol-2 pickle: os.system("echo pwned") on load (the scanner flags it). */
export function evilPickle(): Buffer {
  const arg = Buffer.from('echo pwned');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(arg.length);
  return Buffer.concat([Buffer.from('\x80\x02cos\nsystem\nq\x00X', 'latin1'), len, arg, Buffer.from('q\x01\x85q\x02Rq\x03.', 'latin1')]);
}
