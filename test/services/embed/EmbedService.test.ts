// The embed job's gates and bookkeeping that need no trainer run: cross-model lineage on import, the
// scan gate (high/critical findings, pickle weights) that refuses a base before anything loads it, and
// that a refused run leaves no version and no temp folder. The full run is test/cli/embed.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEmbed, listEmbeds, startEmbed } from '../../../electron/services/embed/EmbedService';
import { llamaDir } from '../../../electron/services/embed/trainerEnv';
import { importPath } from '../../../electron/services/registry/Importer';
import { tempHome } from '../../helpers/tempHome';

const t = tempHome('hallmark-embed-svc-');
const { ctx } = t;
const saved = { ...process.env };

beforeAll(() => {
  // A trainer that looks set up (an interpreter and a finished converter checkout): the gates run before it starts.
  process.env.HALLMARK_CACHE = path.join(t.dir, 'cache');
  process.env.HALLMARK_TRAINER_PYTHON = process.execPath;
  const d = llamaDir();
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, '.hallmark-complete'), 'x');
});
afterAll(async () => {
  process.env = saved;
  await t.cleanup();
});

function hfFolder(name: string, weights: Record<string, Buffer>): string {
  const dir = path.join(t.dir, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }));
  for (const [f, b] of Object.entries(weights)) fs.writeFileSync(path.join(dir, f), b);
  return dir;
}

function safetensors(): Buffer {
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([len, header, Buffer.alloc(8)]);
}

/** protocol-2 pickle calling os.system on load. */
function evilPickle(): Buffer {
  const arg = Buffer.from('echo pwned');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(arg.length);
  return Buffer.concat([Buffer.from('\x80\x02cos\nsystem\nq\x00X', 'latin1'), len, arg, Buffer.from('q\x01\x85q\x02Rq\x03.', 'latin1')]);
}

/** A harmless protocol-2 pickle of a dict (what an old pytorch_model.bin's pickle part would be). */
const benignPickle = () => Buffer.from('\x80\x02}q\x00.', 'latin1');

const tmpLeft = () => fs.readdirSync(path.join(t.home, 'tmp')).filter((f) => f.startsWith('embed-'));

describe('EmbedService', () => {
  it('a version imported with a parent in another model records that lineage', async () => {
    const base = hfFolder('lin-base', { 'model.safetensors': safetensors() });
    const b = await ctx.jobs.run({ kind: 'import', title: 't' }, (job) => importPath(ctx, { path: base, name: 'lin-base' }, job));
    const baseId = ctx.registry.version('lin-base', b.version).id;
    const child = path.join(t.dir, 'child');
    fs.mkdirSync(child);
    fs.writeFileSync(path.join(child, 'training-card.json'), '{}');
    await ctx.jobs.run({ kind: 'import', title: 't' }, (job) => importPath(ctx, { path: child, name: 'lin-child' }, job, { parentId: baseId }));
    const v = ctx.registry.version('lin-child', 1);
    expect(v).toMatchObject({ parent: 1, parentModel: 'lin-base' });
    expect(ctx.registry.version('lin-base', 1)).toMatchObject({ parent: null, parentModel: null });
  });

  it('refuses a base with high/critical scan findings before the trainer starts; nothing registered, no temp left', async () => {
    const bad = hfFolder('evil-base', { 'model.safetensors': safetensors(), 'extra.pkl': evilPickle() });
    const { promise } = await startEmbed(ctx, { base: { path: bad }, task: { kind: 'link', link: 'https://example.org/fb' } });
    await expect(promise).rejects.toMatchObject({ code: 'unsafe_base', message: expect.stringMatching(/high\/critical scan finding.*will not be loaded/) });
    expect(ctx.registry.findModel('evil-base-link')).toBeUndefined();
    expect(tmpLeft()).toEqual([]);
    expect(listEmbeds(ctx)[0]).toMatchObject({ state: 'failed', base_label: 'evil-base', error: expect.stringMatching(/will not be loaded/) });
  });

  it('refuses pickle-only weights unless allow_pickle, and says how to proceed', async () => {
    const old = hfFolder('old-base', { 'pytorch_model.bin': benignPickle() });
    const { promise } = await startEmbed(ctx, { base: { path: old }, task: { kind: 'link', link: 'https://example.org/fb' } });
    await expect(promise).rejects.toMatchObject({ code: 'pickle_refused', message: expect.stringMatching(/--allow-pickle/) });
    expect(tmpLeft()).toEqual([]);
  });

  it('a registered version is materialized from the vault; a version without config.json is refused at once', async () => {
    const gg = path.join(t.dir, 'just.gguf');
    fs.writeFileSync(gg, Buffer.from('GGUF\x03\x00\x00\x00', 'latin1'));
    await ctx.jobs.run({ kind: 'import', title: 't' }, (job) => importPath(ctx, { path: gg, name: 'just-gguf' }, job));
    await expect(startEmbed(ctx, { base: { name: 'just-gguf', version: 1 }, task: { kind: 'link', link: 'https://example.org/fb' } }))
      .rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/not a Hugging Face model folder/) });
    // The registered HF base passes the gates and reaches the trainer (here a Node binary, which is not one).
    const { id, promise } = await startEmbed(ctx, { base: { name: 'lin-base', version: 1 }, task: { kind: 'link', link: 'https://example.org/fb' } }).then((r) => ({ id: r.jobId, promise: r.promise }));
    await expect(promise).rejects.toBeTruthy();
    expect(getEmbed(ctx, id)).toMatchObject({ state: 'failed', base_label: 'lin-base@1', base_version_id: expect.any(Number) });
    expect(tmpLeft()).toEqual([]);
  });
});
