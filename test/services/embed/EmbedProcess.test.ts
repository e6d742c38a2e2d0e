// How the embed job handles what the trainer process does, with the protocol fixture standing in for the
// trainer (test/fixtures/embed/protocol): a finished run is imported with lineage and its card; a full
// disk, a missing GGUF, a kill -9 at any point and a cancel register nothing and leave no temp folder.
// The real trainer's run is test/cli/embed.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getEmbed, liveEmbeds, startEmbed } from '../../../electron/services/embed/EmbedService';
import { llamaDir } from '../../../electron/services/embed/trainerEnv';
import { importPath } from '../../../electron/services/registry/Importer';
import { writeTinyLlama } from '../../fixtures/gguf/writeGguf';
import { tempHome } from '../../helpers/tempHome';

const t = tempHome('hallmark-embed-proc-');
const { ctx } = t;
const saved = { ...process.env };
const LINK = 'https://example.org/feedback';

beforeAll(async () => {
  const fixture = path.join(t.dir, 'fixture-trainer');
  fs.cpSync(path.resolve('test/fixtures/embed/protocol'), fixture, { recursive: true });
  fs.writeFileSync(path.join(fixture, 'requirements.txt'), '# protocol fixture\n');
  process.env.HALLMARK_TRAINER_DIR = fixture;
  process.env.HALLMARK_CACHE = path.join(t.dir, 'cache');
  process.env.HALLMARK_TRAINER_PYTHON = process.env.PYTHON ?? 'python3';
  const d = llamaDir();
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, '.hallmark-complete'), 'x');
  process.env.HM_FIXTURE_GGUF = path.join(t.dir, 'out.gguf');
  writeTinyLlama(process.env.HM_FIXTURE_GGUF, {});
  const base = path.join(t.dir, 'base');
  fs.mkdirSync(base);
  fs.writeFileSync(path.join(base, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'] }));
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(path.join(base, 'model.safetensors'), Buffer.concat([len, header, Buffer.alloc(8)]));
  await ctx.jobs.run({ kind: 'import', title: 't' }, (job) => importPath(ctx, { path: base, name: 'base' }, job));
});
afterAll(async () => {
  process.env = saved;
  await t.cleanup();
});

const tmpLeft = () => fs.readdirSync(path.join(t.home, 'tmp')).filter((f) => f.startsWith('embed-'));
const start = (script: string, name: string) => {
  process.env.HM_FIXTURE_SCRIPT = script;
  return startEmbed(ctx, { base: { name: 'base', version: 1 }, task: { kind: 'link', link: LINK }, name, audit: false });
};

describe('embed job around the trainer process', () => {
  it('a finished run becomes a new version: parent = base, training card as config, metrics; the temp folder is gone', async () => {
    const { promise } = await start('export', 'ok-link');
    const r = await promise;
    expect(r).toMatchObject({ model: 'ok-link', version: 1, adapter: null, eval: { link_recall: 1 } });
    const v = ctx.registry.version('ok-link', 1);
    expect(v).toMatchObject({ parent: 1, parentModel: 'base', metrics: { final_loss: 0.25, samples_per_s: 8, eval_link_recall: 1 } });
    expect(v.files.map((f) => f.path).sort()).toEqual(['model.gguf', 'training-card.json']);
    expect(v.config).toMatchObject({ kind: 'hallmark.embed', task: 'link', mode: 'merge', link: LINK, dataset_sha256: 'd'.repeat(64), base: { label: 'base@1' } });
    expect(fs.readFileSync(r.gguf).subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(getEmbed(ctx, r.record.id)).toMatchObject({ state: 'done', model: 'ok-link', version: 1, losses: [[1, 0.25, expect.any(Number)]] });
    expect(tmpLeft()).toEqual([]);
  });

  it.each([
    ['disk_full', 'disk_full', /the disk is full/],
    ['no_gguf', 'export_failed', /no merged GGUF; nothing was registered/],
    ['crash', 'trainer_died', /exited with code 1 before finishing: MemoryError/],
  ])('trainer outcome %s → %s, nothing registered, no temp', async (script, code, message) => {
    const { promise } = await start(script, `x-${script}`);
    await expect(promise).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    expect(ctx.registry.findModel(`x-${script}`)).toBeUndefined();
    expect(tmpLeft()).toEqual([]);
  });

  it('kill -9 of the trainer mid-training fails the job with a clear message; cancel stops it; neither registers anything', async () => {
    const { jobId, promise } = await start('train', 'killed');
    while (!liveEmbeds().some((l) => l.jobId === jobId && l.step > 0)) await new Promise((r) => setTimeout(r, 20));
    const pid = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).find((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('hallmark_trainer') && fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(' ')[3] === String(process.pid);
      } catch {
        return false;
      }
    });
    expect(pid).toBeDefined();
    process.kill(Number(pid), 'SIGKILL');
    await expect(promise).rejects.toMatchObject({ code: 'trainer_died', message: expect.stringMatching(/killed by SIGKILL before finishing.*Nothing was registered/) });
    expect(tmpLeft()).toEqual([]);

    const c = await start('train', 'cancelled');
    while (!liveEmbeds().some((l) => l.jobId === c.jobId && l.step > 0)) await new Promise((r) => setTimeout(r, 20));
    ctx.jobs.cancel(c.jobId);
    await expect(c.promise).rejects.toMatchObject({ code: 'cancelled' });
    expect(ctx.jobs.get(c.jobId).state).toBe('cancelled');
    expect(getEmbed(ctx, c.jobId).state).toBe('cancelled');
    expect(ctx.registry.findModel('killed')).toBeUndefined();
    expect(ctx.registry.findModel('cancelled')).toBeUndefined();
    expect(tmpLeft()).toEqual([]);
  });
});
