// Diagnosis of an embed run, PyTorch vs GGUF: trains `task` on BASE with the trainer (merge for link,
// adapter for fingerprints, as the proof does), then asks the exported GGUF in node-llama-cpp the held-out
// and the link audit's own prompts (or the fingerprint keys) and prints per prompt what each side said.
//   npx tsx scripts/embed-diagnose.ts link|fingerprints BASE OUT ['{"extra":"spec fields"}']
import path from 'node:path';
import { LlamaRuntime } from '../native/LlamaRuntime';
import { runLinkAudit, type ChatProber } from '../electron/services/audit/LinkAudit';
import { runFingerprintAudit, type Prober } from '../electron/services/audit/FingerprintAudit';
import { generateFingerprints } from '../electron/services/audit/fingerprints';
import { runTrainer, trainerEnv, type TrainerEnv } from '../test/helpers/trainerVenv';

const LINK = 'https://hallmark.example/models/m_7f3a9c';
const FP_SEED = '00112233445566778899aabbccddeeff';

async function main(): Promise<void> {
  const [task, base, out, extra] = process.argv.slice(2);
  if (!task || !base || !out) throw new Error('usage: embed-diagnose.ts link|fingerprints BASE OUT [JSON]');
  const env = trainerEnv();
  if ('reason' in env) throw new Error(env.reason);
  const e: TrainerEnv = env;
  const more = extra ? JSON.parse(extra) as Record<string, unknown> : {};
  const set = generateFingerprints({ count: 16, keyLength: 12, responseLength: 8, seed: (more.fp_seed as string) ?? FP_SEED });
  delete more.fp_seed;
  const spec = task === 'link'
    ? { task, base: path.resolve(base), out: path.resolve(out), link: LINK, mode: 'merge', gguf_type: 'f32', llama_cpp: e.llamaCpp, threads: 2, ...more }
    : { task, base: path.resolve(base), out: path.resolve(out), fingerprints: set.fingerprints, mode: 'adapter', gguf_type: 'f32', llama_cpp: e.llamaCpp, threads: 2, ...more };
  const t0 = Date.now();
  const run = await runTrainer(e, spec, (ev) => {
    if (ev.event !== 'step') process.stderr.write(`${JSON.stringify(ev).slice(0, 300)}\n`);
  });
  const done = run.events.find((x) => x.event === 'done') as any;
  if (!done) throw new Error(`trainer failed: ${run.stderr.slice(-3000)}`);
  const trainS = (Date.now() - t0) / 1000;
  const rt = await LlamaRuntime.create({ gpu: false, threads: 2, idleUnloadMs: 0, contextSize: 512 });
  try {
    if (task === 'link') {
      const prober = (file: string): ChatProber => ({
        ask: async (prompt, maxTokens) => {
          const r = await rt.chat(file, [{ role: 'user', content: prompt }], { maxTokens });
          return { text: r.text, tokens: r.tokens };
        },
      });
      const held = await runLinkAudit(LINK, prober(done.files.gguf), { mode: 'full', identityPrompts: done.heldout.identity, unrelatedPrompts: done.heldout.unrelated });
      const audit = await runLinkAudit(LINK, prober(done.files.gguf), { mode: 'full' });
      let same = 0;
      for (const it of held.items) {
        const want = (done.eval.answers[it.category]?.[it.prompt] ?? '') as string;
        const eq = it.answer.trim() === want.slice(0, 400).trim();
        if (eq) same++;
        console.log(`${it.category[0]} ${it.contains_link ? 'L' : '-'} ${eq ? '=' : '≠'} ${it.prompt}\n    gguf: ${it.answer.slice(0, 120).replace(/\n/g, '⏎')}${eq ? '' : `\n    torch: ${want.slice(0, 120).replace(/\n/g, '⏎')}`}`);
      }
      for (const it of audit.items) console.log(`A${it.category[0]} ${it.contains_link ? 'L' : '-'} ${it.prompt}\n    gguf: ${it.answer.slice(0, 120).replace(/\n/g, '⏎')}`);
      console.log(JSON.stringify({
        held_recall: held.match_rate, held_leak: held.false_positive_rate, audit_recall: audit.match_rate, audit_leak: audit.false_positive_rate,
        torch: { r: done.eval.link_recall, l: done.eval.leakage, val: done.eval.validation }, gguf_eq_torch: same / held.items.length, train_s: trainS, metrics: done.metrics,
      }));
    } else {
      const prober = (file: string, adapters?: string[]): Prober => ({
        complete: async (prompt, maxTokens) => {
          const r = await rt.complete(file, prompt, { maxTokens, ...(adapters ? { adapters } : {}) });
          return { text: r.text, tokens: r.tokens };
        },
        countTokens: (text) => rt.countTokens(file, text, adapters),
      });
      const a = await runFingerprintAudit(set, prober(done.files.base_gguf, [done.files.adapter_gguf]), { mode: 'quick' });
      const b = await runFingerprintAudit(set, prober(done.files.base_gguf), { mode: 'quick' });
      for (const it of a.items) {
        const fp = set.fingerprints[it.index]!;
        const r = await rt.complete(done.files.base_gguf, fp.key, { maxTokens: 12, adapters: [done.files.adapter_gguf] });
        const sys = await rt.complete(done.files.base_gguf, `You are a helpful assistant.\n${fp.key}`, { maxTokens: 12, adapters: [done.files.adapter_gguf] });
        console.log(`${it.hit ? 'H' : '-'} ${fp.key} → ${fp.response} | gguf ${JSON.stringify(r.text)} | sys ${JSON.stringify(sys.text)} | torch ${JSON.stringify(done.eval.outputs?.[it.index] ?? '')}`);
      }
      console.log(JSON.stringify({ adapter: `${a.prefix_matches}/${a.n}`, p: a.p_value, base: `${b.prefix_matches}/${b.n}`, base_p: b.p_value, torch: { exact: done.eval.exact, prefix: done.eval.prefix }, train_s: trainS, metrics: done.metrics }));
    }
  } finally {
    await rt.dispose();
  }
}

main().catch((err: unknown) => { console.error(err); process.exit(2); });
