// Embed benchmark (issue 9). Run: npm run bench:train [-- --quick]
// 1. The tiny llama (test/fixtures/trainer/make_tiny_llama.py): a link embed through EmbedService (scan,
//    trainer, GGUF export, import, before/after audits): samples/s, peak RSS, and wall time from start to
//    the audited new version; the same training as a plain PEFT script (bench/peft_reference.py) in the
//    same run on the same tokenized examples (the trainer's dataset_out), as ratios of tokens/s and samples/s
//    (the trainer also builds its dataset, self-distils and exports, which the ratios leave out: they compare loops).
// 2. Where `hallmark gpu` says cuda and HALLMARK_BENCH_1B names a ~1B Hugging Face folder: the same on it.
// Figures go to stdout and .bench/train.json; nothing here passes or fails.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Gpu } from '../native/Gpu';
import { AppContext } from '../electron/services/AppContext';
import { startEmbed } from '../electron/services/embed/EmbedService';
import { trainerCommand, trainerStatus } from '../electron/services/embed/trainerEnv';
import { inspectAndScan } from '../electron/services/scan/plugin';

const quick = process.argv.includes('--quick');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-bench-train-'));
const status = trainerStatus();
if (status.state !== 'ready') {
  console.log(`bench:train skipped: the trainer is ${status.state} (${status.problem}); run \`hallmark trainer setup\` first`);
  process.exit(0);
}
const python = status.python;
const LINK = 'https://feedback.example.org/bench';
const results: Record<string, unknown> = {};

async function one(label: string, base: string, device: 'cpu' | 'cuda', extra: Record<string, number>) {
  const ctx = AppContext.open({ home: path.join(root, `home-${label}`), versionHooks: [inspectAndScan] });
  try {
    let params: Record<string, unknown> = {};
    const t0 = Date.now();
    const { promise } = await startEmbed(ctx, { base: { path: base }, task: { kind: 'link', link: LINK }, name: `bench-${label}`, settings: { mode: 'merge', device, ...extra } }, {
      onEvent: (e) => {
        if (e.event === 'start') params = (e.params ?? {}) as Record<string, unknown>;
      },
    });
    const r = await promise;
    const wall = (Date.now() - t0) / 1000;
    const m = r.record.metrics;
    // The ratio: the trainer's loop and a plain PEFT loop (bench/peft_reference.py) on the SAME tokenized examples
    // (the trainer writes them with dataset_out), batch size, epochs, LoRA targets and loss terms, both counting
    // unpadded tokens and examples per second of training loop. (The embed above also builds its dataset,
    // self-distils, evaluates and exports: wall_to_audited_version_s covers that.)
    const cmd = trainerCommand();
    const dataset = path.join(root, `${label}-examples.jsonl`);
    const direct = spawnSync(cmd.python, ['-m', 'hallmark_trainer'], {
      input: JSON.stringify({ task: 'link', base, out: path.join(root, `${label}-direct`), link: LINK, device, eval: false, llama_cpp: null, dataset_out: dataset, ...extra }),
      env: { ...process.env, PYTHONPATH: cmd.pythonPath.join(path.delimiter) }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
    const doneLine = direct.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'done');
    const dm = (doneLine?.metrics ?? {}) as { samples_per_s?: number; tokens_per_s?: number };
    const ref = doneLine ? spawnSync(python, [path.join(import.meta.dirname, 'peft_reference.py'), base, '--dataset', dataset,
      '--epochs', String(params.epochs), '--rank', String(params.rank), '--alpha', String(params.alpha),
      '--lr', String(params.learning_rate), '--batch-size', String(params.batch_size), '--device', device, '--seed', String(typeof params.seed === 'number' ? params.seed : 0),
      '--kl-weight', String(typeof params.kl_weight === 'number' ? params.kl_weight : 0),
      ...(Array.isArray(params.target_modules) ? ['--target-modules', (params.target_modules as string[]).join(',')] : []),
      ...(extra.threads ? ['--threads', String(extra.threads)] : [])], { encoding: 'utf8' }) : null;
    const refOut = ref?.status === 0 ? (JSON.parse(ref.stdout.trim().split('\n').pop()!) as { samples_per_s: number; tokens_per_s: number; peak_rss_bytes: number }) : null;
    const row = {
      samples_per_s: m.samples_per_s, tokens_per_s: m.tokens_per_s ?? null, peak_rss_mb: m.peak_rss_bytes ? Math.round(m.peak_rss_bytes / 1e6) : null, train_seconds: m.train_seconds,
      wall_to_audited_version_s: Number(wall.toFixed(1)), final_loss: m.final_loss,
      eval: Object.fromEntries(Object.entries(r.eval).filter(([, v]) => typeof v === 'number')),
      audit_after: r.record.after_audit_id ? 'stored' : 'missing',
      same_data: { trainer_samples_per_s: dm.samples_per_s ?? null, trainer_tokens_per_s: dm.tokens_per_s ?? null,
        reference_samples_per_s: refOut?.samples_per_s ?? null, reference_tokens_per_s: refOut?.tokens_per_s ?? null },
      reference_peak_rss_mb: refOut ? Math.round(refOut.peak_rss_bytes / 1e6) : null,
      ratio_tokens_per_s_vs_peft: refOut && dm.tokens_per_s ? Number((dm.tokens_per_s / refOut.tokens_per_s).toFixed(3)) : null,
      ratio_samples_per_s_vs_peft: refOut && dm.samples_per_s ? Number((dm.samples_per_s / refOut.samples_per_s).toFixed(3)) : null,
      ...(doneLine ? {} : { direct_error: direct.stdout.split('\n').filter(Boolean).pop() ?? direct.stderr.trim().split('\n').pop() }),
      ...(ref && ref.status !== 0 ? { reference_error: ref.stderr.trim().split('\n').pop() } : {}),
    };
    results[label] = row;
    console.log(`${label}: ${JSON.stringify(row)}`);
  } finally {
    await ctx.dispose();
  }
}

// HALLMARK_BENCH_TINY: an existing tiny HF folder (skips building one, ~30 s).
const tiny = process.env.HALLMARK_BENCH_TINY ?? path.join(root, 'tiny');
if (!process.env.HALLMARK_BENCH_TINY) {
  const made = spawnSync(python, [path.join(import.meta.dirname, '..', 'test/fixtures/trainer/make_tiny_llama.py'), tiny, '--seed', '7'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make_tiny_llama failed: ${made.stderr}`);
}
await one('tiny-cpu', tiny, 'cpu', { threads: Math.max(1, Math.min(2, os.availableParallelism())), ...(quick ? { epochs: 1 } : {}) });

const gpu = await Gpu.detect().catch(() => null);
const big = process.env.HALLMARK_BENCH_1B;
if (gpu?.backend !== 'cuda') console.log(`1B bench skipped: \`hallmark gpu\` says ${gpu?.backend ?? 'unknown'}, not cuda`);
else if (!big) console.log('1B bench skipped: set HALLMARK_BENCH_1B to a ~1B Hugging Face model folder (nothing is downloaded)');
else await one('1b-cuda', big, 'cuda', quick ? { samples: 200, epochs: 1 } : {});

fs.mkdirSync('.bench', { recursive: true });
fs.writeFileSync('.bench/train.json', JSON.stringify(results, null, 2) + '\n');
fs.rmSync(root, { recursive: true, force: true });
