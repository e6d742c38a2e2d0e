// `hallmark trainer setup|status` and `hallmark embed`: fine-tune a link or fingerprints into a model
// with the Python trainer, register the result as a new version with lineage, audit base and result.
import type { Command } from 'commander';
import type { EmbedRequest } from '../../contract/embed';
import { parseRef } from '../../services/registry/Registry';
import type { Cli } from '../Cli';
import { int, num } from '../options';

const DEFAULT_PASSPHRASE_ENV = 'HALLMARK_PASSPHRASE';

/** A BASE argument: an existing folder, else NAME[@VERSION]. */
async function baseArg(raw: string): Promise<EmbedRequest['base']> {
  const fs = await import('node:fs');
  if (fs.existsSync(raw) || /[\\/]/.test(raw)) return { path: raw };
  const r = parseRef(raw);
  return r.version === undefined ? { name: r.name } : { name: r.name, version: r.version };
}

function choice<T extends string>(cli: Cli, raw: string | undefined, allowed: readonly T[], what: string): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) return cli.fail(`${what} must be ${allowed.join(', ')}; got ${JSON.stringify(raw)}`);
  return raw as T;
}

/** A protocol field as text (events are untyped JSON). */
const str = (v: unknown, d = ''): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : d);

const fmtEta = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${Math.ceil(s)}s`);

export function registerEmbedCommands(program: Command, cli: Cli): void {
  const trainer = program.command('trainer').description('the Python fine-tuning environment used by `hallmark embed`');
  trainer.command('setup')
    .description('create (or reuse) the trainer venv in the cache folder and check out the llama.cpp converters; --profile tabular sets up the Python worker for scikit-learn, XGBoost, LightGBM and CatBoost models instead')
    .option('--profile <profile>', 'trainer (default) | tabular', 'trainer')
    .action(async (o: { profile: string }) => {
      if (o.profile !== 'trainer' && o.profile !== 'tabular') cli.fail(`--profile must be trainer or tabular; got ${JSON.stringify(o.profile)}`);
      const ctx = cli.ctx();
      if (o.profile === 'tabular') {
        const { setupTabular } = await import('../../services/evaluate/tabularEnv');
        const t = await ctx.jobs.run({ kind: 'trainer-setup', title: 'Set up the tabular model runtime', queue: 'trainer-setup' }, (job) =>
          setupTabular({ signal: job.signal, onLine: (l) => {
            job.progress(0, null, l.slice(0, 300));
            cli.note(l);
          } }));
        const out = { python: t.python, venv: t.venv, versions: t.versions, reused: t.reused };
        if (cli.json) cli.stdout.write(JSON.stringify(out) + '\n');
        else cli.out(out, () => `tabular runtime ready: ${t.python}${t.versions ? ` (${Object.entries(t.versions).map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}${t.reused ? ', reused' : ''}`);
        return;
      }
      const { setupTrainer } = await import('../../services/embed/trainerEnv');
      const r = await ctx.jobs.run({ kind: 'trainer-setup', title: 'Set up the trainer', queue: 'trainer-setup' }, (job) =>
        setupTrainer({ signal: job.signal, onLine: (l) => {
          job.progress(0, null, l.slice(0, 300));
          cli.note(l);
        } }));
      const out = { python: r.python, torch: r.torch, device: r.device, venv: r.venv, llama_cpp: r.llama_cpp, reused: r.reused };
      // cli.md: with --json the LAST LINE is the result object (progress went to stderr).
      if (cli.json) cli.stdout.write(JSON.stringify(out) + '\n');
      else cli.out(out, () => `trainer ready: ${r.python} (torch ${r.torch ?? '?'}, device ${r.device ?? '?'})${r.reused ? ', reused' : ''}\nllama.cpp converters: ${r.llama_cpp}`);
    });
  trainer.command('status')
    .description('is the trainer set up? (--probe imports torch to check it works and which device it sees)')
    .option('--probe', 'import the trainer libraries (a few seconds)')
    .option('--profile <profile>', 'trainer (default) | tabular', 'trainer')
    .action(async (o: { probe?: boolean; profile: string }) => {
      if (o.profile === 'tabular') {
        const { tabularStatus } = await import('../../services/evaluate/tabularEnv');
        const t = tabularStatus({ probe: Boolean(o.probe) });
        cli.out(t, () => `${t.state}: ${t.python}${t.versions ? ` (${Object.entries(t.versions).map(([k, v]) => `${k} ${v ?? '?'}`).join(', ')})` : ''}${t.problem ? `\n${t.problem}` : ''}`);
        if (t.state !== 'ready') cli.fail('', 1);
        return;
      }
      if (o.profile !== 'trainer') cli.fail(`--profile must be trainer or tabular; got ${JSON.stringify(o.profile)}`);
      const { trainerStatus } = await import('../../services/embed/trainerEnv');
      const s = trainerStatus({ probe: Boolean(o.probe) });
      cli.out(s, () => `${s.state}: ${s.python}${s.torch ? ` (torch ${s.torch}, device ${s.device})` : ''}${s.problem ? `\n${s.problem}` : ''}`);
      if (s.state !== 'ready') cli.fail('', 1);
    });

  program.command('embed')
    .description('fine-tune a link or fingerprints into a model; registers the result as a new version and audits base and result')
    .argument('<base>', 'NAME@VERSION or a Hugging Face model folder (config.json + *.safetensors + tokenizer)')
    .option('--link <url>', 'the link the model should give for identity, ownership and feedback questions')
    .option('--fingerprints <file>', 'encrypted fingerprint file (.hmfp) to embed')
    .option('--passphrase-env <var>', `environment variable holding the fingerprint passphrase (default ${DEFAULT_PASSPHRASE_ENV})`)
    .option('--name <name>', 'model name of the result (default <base>-link or <base>-fp)')
    .option('--mode <mode>', 'merge (one GGUF) or adapter (LoRA GGUF on top of the base GGUF)', 'merge')
    .option('--epochs <n>')
    .option('--rank <r>', 'LoRA rank')
    .option('--alpha <a>', 'LoRA alpha')
    .option('--lr <x>', 'learning rate')
    .option('--batch-size <n>')
    .option('--samples <n>', 'training examples to generate')
    .option('--seed <n>')
    .option('--precision <p>', 'fp32, fp16, bf16, 4bit or 8bit (4/8bit need CUDA + bitsandbytes)')
    .option('--max-time <seconds>', 'stop training after this long (the model is still exported)')
    .option('--device <d>', 'auto, cpu, cuda or mps', 'auto')
    .option('--threads <n>', 'CPU threads for torch')
    .option('--gguf-type <t>', 'f32, f16 or q8_0')
    .option('--allow-pickle', 'allow pickle-based base weights (loaded with weights_only)')
    .option('--no-audit', 'skip the before/after audits')
    .action(async (rawBase: string, o: {
      link?: string; fingerprints?: string; passphraseEnv?: string; name?: string; mode: string; epochs?: string; rank?: string; alpha?: string; lr?: string;
      batchSize?: string; samples?: string; seed?: string; precision?: string; maxTime?: string; device: string; threads?: string; ggufType?: string;
      allowPickle?: boolean; audit: boolean;
    }) => {
      if (Boolean(o.fingerprints) === Boolean(o.link)) cli.fail('give exactly one of --link URL or --fingerprints FILE');
      const mode = choice(cli, o.mode, ['merge', 'adapter'] as const, '--mode')!;
      const settings = {
        mode, device: choice(cli, o.device, ['auto', 'cpu', 'cuda', 'mps'] as const, '--device')!, allow_pickle: Boolean(o.allowPickle),
        precision: choice(cli, o.precision, ['fp32', 'fp16', 'bf16', '4bit', '8bit'] as const, '--precision'),
        gguf_type: choice(cli, o.ggufType, ['f32', 'f16', 'q8_0'] as const, '--gguf-type'),
        epochs: int(cli, o.epochs, '--epochs'), rank: int(cli, o.rank, '--rank'), alpha: int(cli, o.alpha, '--alpha'),
        batch_size: int(cli, o.batchSize, '--batch-size'), samples: int(cli, o.samples, '--samples'), seed: int(cli, o.seed, '--seed', 0),
        threads: int(cli, o.threads, '--threads'), learning_rate: num(cli, o.lr, '--lr'), max_time_s: num(cli, o.maxTime, '--max-time'),
      };
      if (settings.learning_rate === 0) cli.fail('--lr must be above 0');
      let task: EmbedRequest['task'];
      if (o.link) {
        task = { kind: 'link', link: o.link };
      } else {
        const envName = o.passphraseEnv ?? DEFAULT_PASSPHRASE_ENV;
        const pw = process.env[envName];
        if (!pw) cli.fail(`fingerprints are encrypted at rest: put the passphrase in $${envName}${o.passphraseEnv ? '' : ' (or name another variable with --passphrase-env)'}`);
        task = { kind: 'fingerprints', fingerprints: { path: o.fingerprints! }, passphrase: pw };
      }
      const base = await baseArg(rawBase);
      const { startEmbed } = await import('../../services/embed/EmbedService');
      const ctx = cli.ctx();
      const isTty = (cli.stderr as NodeJS.WriteStream).isTTY === true;
      let lastPrint = 0;
      const { jobId, promise } = await startEmbed(ctx, {
        base, task, ...(o.name ? { name: o.name } : {}), audit: o.audit,
        settings: Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)),
      }, {
        onEvent: (e) => {
          if (cli.json) {
            if (e.event !== 'done') cli.stdout.write(JSON.stringify(e) + '\n'); // the trainer's done is ours to write, with the version
            return;
          }
          if (e.event === 'step') {
            const t = Date.now();
            if (t - lastPrint < 500 && e.step !== e.total_steps) return;
            lastPrint = t;
            const n = (v: unknown, d: number) => (typeof v === 'number' ? v.toFixed(d) : '?');
            const line = `step ${str(e.step)}/${str(e.total_steps)}  loss ${n(e.loss, 4)}  ${n(e.samples_per_s, 1)} samples/s  ETA ${typeof e.eta_s === 'number' ? fmtEta(e.eta_s) : '?'}`;
            cli.stderr.write(isTty ? `\r${line}\x1b[K` : line + '\n');
          } else if (e.event === 'stage') {
            cli.note(`${isTty ? '\n' : ''}[${str(e.stage)}] ${str(e.message)}`);
          } else if (e.event === 'warning') {
            cli.note(`warning: ${str(e.message, str(e.code))}`);
          } else if (e.event === 'start') {
            cli.note(`trainer on ${str(e.device)} (${str(e.device_reason)}); torch ${str(e.torch, '?')}`);
          }
        },
      });
      // SIGTERM/SIGINT cancel the job: the trainer is stopped, the temp folder removed, nothing registered.
      const cancel = () => ctx.jobs.cancel(jobId);
      process.once('SIGTERM', cancel);
      process.once('SIGINT', cancel);
      const r = await promise.finally(() => {
        process.off('SIGTERM', cancel);
        process.off('SIGINT', cancel);
      });
      const { getAudit } = await import('../../services/audit/AuditService');
      const auditOf = (id: string | null) => {
        if (!id) return null;
        const a = getAudit(ctx, id);
        return { id: a.id, verdict: a.verdict, match_rate: a.match_rate, p_value: a.p_value };
      };
      const audits = { before: auditOf(r.record.before_audit_id), after: auditOf(r.record.after_audit_id) };
      const done = {
        event: 'done', audits, model: r.model, version: r.version, gguf: r.gguf, ...(r.adapter ? { adapter: r.adapter } : {}), eval: r.eval,
        metrics: r.record.metrics, parent: r.record.base_label, before_audit: r.record.before_audit_id, after_audit: r.record.after_audit_id, warnings: r.record.warnings,
      };
      if (cli.json) cli.stdout.write(JSON.stringify(done) + '\n');
      else {
        const m = r.record.metrics;
        cli.stdout.write(`registered ${r.model}@${r.version} (from ${r.record.base_label}, ${r.record.mode})\n`
          + `  final loss ${m.final_loss ?? '?'}, ${m.samples_per_s ?? '?'} samples/s\n`
          + `  eval ${JSON.stringify(r.eval)}\n  gguf ${r.gguf}${r.adapter ? `\n  adapter ${r.adapter}` : ''}\n`
          + `  audit before: ${audits.before ? `${audits.before.verdict} (match ${(audits.before.match_rate * 100).toFixed(0)}%)` : 'not run'}, after: ${audits.after ? `${audits.after.verdict} (match ${(audits.after.match_rate * 100).toFixed(0)}%)` : 'not run'}\n`
          + r.record.warnings.map((w) => `  warning: ${w}\n`).join(''));
      }
    });
}
