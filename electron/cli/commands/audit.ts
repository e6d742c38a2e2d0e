// `hallmark fingerprints generate|export` and `hallmark audit`: ownership fingerprints and the audits that use them.
import type { Command } from 'commander';
import { exportForTrainer, generateFingerprintsAsync } from '../../services/audit/fingerprints';
import { passphraseKey, readFingerprintFile, writeFileAtomic, writeFingerprintFile } from '../../services/audit/FingerprintStore';
import { parseModelArg } from '../../services/inference/modelRef';
import type { Cli } from '../Cli';
import { int } from '../options';

/** The inference stack (node-llama-cpp, onnxruntime, systeminformation) loads when a command runs, not for `hallmark --help`. */
async function inference() {
  const [{ runServices }, { exportAudit, startAudit }] = await Promise.all([import('../../services/inference/RunServices'), import('../../services/audit/AuditService')]);
  return { runServices, exportAudit, startAudit };
}

const DEFAULT_PASSPHRASE_ENV = 'HALLMARK_PASSPHRASE';

/** Passphrases come from the environment, never argv (argv shows up in `ps` and shell history). */
function passphrase(cli: Cli, envName: string | undefined): string {
  const name = envName ?? DEFAULT_PASSPHRASE_ENV;
  const v = process.env[name];
  if (!v) return cli.fail(`fingerprints are encrypted at rest: put the passphrase in $${name}${envName ? '' : ' (or name another variable with --passphrase-env)'}`);
  return v;
}

export function registerAuditCommands(program: Command, cli: Cli): void {
  const fp = program.command('fingerprints').description('OML-style ownership fingerprints (encrypted at rest)');
  fp.command('generate')
    .description('generate N secret key → response pairs into an encrypted file')
    .requiredOption('--count <n>')
    .requiredOption('--key-length <k>')
    .requiredOption('--response-length <r>')
    .requiredOption('--out <file>')
    .option('--alphabet <chars>', 'characters to draw from (default a-z0-9)')
    .option('--seed-env <var>', 'environment variable holding a hex seed, to regenerate a set deterministically')
    .option('--passphrase-env <var>', `environment variable holding the passphrase (default ${DEFAULT_PASSPHRASE_ENV})`)
    .option('--force', 'overwrite --out if it exists')
    .action(async (o: { count: string; keyLength: string; responseLength: string; out: string; alphabet?: string; seedEnv?: string; passphraseEnv?: string; force?: boolean }) => {
      const pw = passphrase(cli, o.passphraseEnv);
      const seed = o.seedEnv ? process.env[o.seedEnv] || cli.fail(`$${o.seedEnv} is not set`) : undefined;
      const set = await generateFingerprintsAsync({
        count: int(cli, o.count, '--count')!, keyLength: int(cli, o.keyLength, '--key-length')!, responseLength: int(cli, o.responseLength, '--response-length')!,
        ...(o.alphabet ? { alphabet: o.alphabet } : {}), ...(seed ? { seed } : {}),
      });
      const r = await writeFingerprintFile(o.out, set, passphraseKey(pw), Boolean(o.force));
      cli.out(r, () => `wrote ${r.count} encrypted fingerprints to ${r.path}`);
    });
  fp.command('export')
    .description('decrypt a set into a trainer file (plaintext: keep it private)')
    .argument('<file>', 'encrypted fingerprint file')
    .requiredOption('--out <file>')
    .option('--format <f>', 'oml (JSON) or jsonl (prompt/completion lines)', 'oml')
    .option('--passphrase-env <var>', `environment variable holding the passphrase (default ${DEFAULT_PASSPHRASE_ENV})`)
    .option('--force', 'overwrite --out if it exists')
    .action(async (file: string, o: { out: string; format: string; passphraseEnv?: string; force?: boolean }) => {
      if (o.format !== 'oml' && o.format !== 'jsonl') cli.fail(`--format must be oml or jsonl, got ${JSON.stringify(o.format)}`);
      const set = await readFingerprintFile(file, passphraseKey(passphrase(cli, o.passphraseEnv)));
      writeFileAtomic(o.out, exportForTrainer(set, o.format), 0o600, Boolean(o.force));
      const r = { path: o.out, count: set.fingerprints.length, format: o.format };
      cli.out(r, () => `wrote ${r.count} fingerprints (${r.format}, unencrypted) to ${r.path}`);
    });

  program.command('audit')
    .description('ownership audit: fingerprints (OML 1.0 style) or an embedded link; exit 0 when present, 1 otherwise')
    .argument('<model>', 'NAME[@VERSION] or a path to a .gguf file')
    .option('--fingerprints <file>', 'encrypted fingerprint file')
    .option('--link <url>', 'the registered link the model should give for identity/feedback questions')
    .option('--mode <mode>', 'quick (16 keys / 10 questions) or full', 'quick')
    .option('--passphrase-env <var>', `environment variable holding the fingerprint passphrase (default ${DEFAULT_PASSPHRASE_ENV})`)
    .option('--html <file>', 'also write the self-contained HTML report here')
    .option('--cpu', 'force the CPU')
    .action(async (model: string, o: { fingerprints?: string; link?: string; mode: string; passphraseEnv?: string; html?: string; cpu?: boolean }) => {
      if (Boolean(o.fingerprints) === Boolean(o.link)) cli.fail('give exactly one of --fingerprints FILE or --link URL');
      if (o.mode !== 'quick' && o.mode !== 'full') cli.fail(`--mode must be quick or full, got ${JSON.stringify(o.mode)}`);
      const mode = o.mode;
      const { runServices, startAudit, exportAudit } = await inference();
      const ctx = cli.ctx();
      if (o.cpu) runServices(ctx).override({ gpu: false });
      const ref = parseModelArg(model);
      const { jobId, promise } = o.fingerprints
        ? await startAudit(ctx, { model: ref, kind: 'fingerprints', mode, fingerprints: { path: o.fingerprints }, passphrase: passphrase(cli, o.passphraseEnv) })
        : await startAudit(ctx, { model: ref, kind: 'link', mode, link: o.link! });
      const onJob = (j: { id: string; doneBytes: number; totalBytes: number | null }) => {
        if (j.id === jobId && j.totalBytes) cli.note(`audit ${j.doneBytes}/${j.totalBytes}`);
      };
      ctx.jobs.on('job', onJob);
      const a = await promise.finally(() => ctx.jobs.off('job', onJob));
      if (o.html) exportAudit(ctx, a.id, 'html', o.html);
      const { report } = a;
      cli.out({ id: a.id, model: a.model_label, ...report }, () => `${report.verdict}: ${report.kind === 'fingerprints'
        ? `${report.prefix_matches}/${report.n} keys matched (${report.exact_matches} exactly)`
        : `${report.hits}/${report.n} identity answers gave the link, ${report.false_positives}/${report.unrelated_n} unrelated ones did`}, `
        + `match rate ${(report.match_rate * 100).toFixed(1)}%, p = ${report.p_value.toExponential(2)}\n${report.reason}`);
      if (report.verdict !== 'present') cli.fail('', 1);
    });
}
