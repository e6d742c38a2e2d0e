// `hallmark verify-signature` and `hallmark sign`: OpenSSF model-signing signatures (the `model-signing`
// 1.x format), checked and made offline.
import fs from 'node:fs';
import type { Command } from 'commander';
import type { SignatureCheck } from '../../contract/signing';
import { parseRef } from '../../services/registry/Registry';
import type { Cli } from '../Cli';
import { progressPrinter } from '../Cli';

interface VerifyOpts { signature?: string; key?: string; certificateChain?: string; identity?: string; issuer?: string; trustedRoot?: string }

export function describeCheck(c: SignatureCheck): string {
  const head = c.valid ? 'VALID' : c.status.toUpperCase();
  const lines = [`${head}${c.method ? ` (${c.method})` : ''}${c.signer ? ` signed by ${c.signer}` : ''}${c.issuer ? `, issuer ${c.issuer}` : ''}`];
  if (c.reason) lines.push(`  ${c.reason}`);
  for (const m of c.files.mismatched) lines.push(`  changed: ${m.path} (expected ${m.algorithm} ${m.expected}, got ${m.actual})`);
  for (const m of c.files.missing) lines.push(`  missing: ${m}`);
  for (const m of c.files.extra) lines.push(`  not signed: ${m}`);
  for (const w of c.warnings) lines.push(`  note: ${w}`);
  if (c.resources) lines.push(`  ${c.resources} signed ${c.serialization?.method === 'shards' ? 'shards' : 'files'} (${c.serialization?.hashType}); signature ${c.signature ?? ''}`);
  return lines.join('\n');
}

export function registerSigningCommands(program: Command, cli: Cli): void {
  program.command('verify-signature')
    .description('check an OpenSSF model-signing signature (model.sig): exit 0 valid, 1 not valid, 2 could not check')
    .argument('<target>', 'a model folder or file, or NAME[@VERSION] (default: the latest version)')
    .option('--signature <file>', 'the signature (default: model.sig inside the folder, beside the file, or the version\'s own)')
    .option('--key <pub.pem>', 'EC public key (key method)')
    .option('--certificate-chain <ca.pem>', 'trusted CA certificates (certificate method)')
    .option('--identity <san>', 'Sigstore keyless: the expected signer identity (certificate SAN)')
    .option('--issuer <url>', 'Sigstore keyless: the expected OIDC issuer')
    .option('--trusted-root <file>', 'Sigstore trusted_root.json to use instead of the public-good one shipped with Hallmark')
    .action(async (target: string, o: VerifyOpts) => {
      const kinds = [o.key && '--key', o.certificateChain && '--certificate-chain', (o.identity || o.issuer || o.trustedRoot) && '--identity/--issuer'].filter(Boolean);
      if (kinds.length > 1) cli.fail(`give one kind of trust, not ${kinds.join(' and ')}`);
      if (Boolean(o.identity) !== Boolean(o.issuer)) cli.fail('--identity and --issuer go together');
      const trust = { key: o.key, certificateChain: o.certificateChain, identity: o.identity, issuer: o.issuer, trustedRoot: o.trustedRoot, signature: o.signature };
      const show = progressPrinter(cli, 'hashing');
      let hashed = 0;
      // Small models hash in a blink: progress only once there is something to wait for.
      const onProgress = (n: number) => { hashed += n; if (hashed >= 256 * 1024 * 1024) show(hashed, null); };
      let check: SignatureCheck | null;
      // A path when it exists; else NAME@VERSION, or NAME for its latest version when that model exists.
      const asModel = !fs.existsSync(target) && (target.includes('@') || cli.ctx().registry.findModel(target) !== undefined);
      if (!asModel) {
        const { verifyPath } = await import('../../services/signing/verify');
        check = await verifyPath(target, trust, { onProgress });
      } else {
        const r = parseRef(target);
        const version = r.version ?? cli.ctx().registry.versionRow(r.name).number;
        const { verifyVersionSignature } = await import('../../services/signing/versions');
        check = await verifyVersionSignature(cli.ctx(), r.name, version, trust, { onProgress });
        if (!check) cli.fail(`${r.name}@${version} has no signature: no model.sig among its files or beside them, and none made with hallmark sign`);
      }
      cli.out(check, () => describeCheck(check));
      if (!check.valid) cli.fail('', 1);
    });

  program.command('sign')
    .description('sign a version with an EC private key (model-signing key method): model.sig in an in-place folder, an attachment for a vault version')
    .argument('<ref>', 'NAME@VERSION')
    .requiredOption('--key <key.pem>', 'EC private key (P-256, P-384 or P-521), PEM, unencrypted')
    .option('--out <file>', 'also write the signature here')
    .option('--certificate <cert.pem>', 'certificate method: the signing certificate for --key')
    .option('--certificate-chain <chain.pem>', 'certificate method: intermediate certificates to include')
    .action(async (ref: string, o: { key: string; out?: string; certificate?: string; certificateChain?: string }) => {
      const r = parseRef(ref);
      if (r.version === undefined) cli.fail(`${JSON.stringify(ref)} is not NAME@VERSION`);
      const { signVersion } = await import('../../services/signing/versions');
      const ctx = cli.ctx();
      const result = await ctx.jobs.run({ kind: 'sign', title: `Sign ${ref}` }, (job) => signVersion(ctx, r.name, r.version!, o.key, { out: o.out, certificate: o.certificate, certificateChain: o.certificateChain }, job));
      cli.out({ path: result.path, check: result.check }, () => `signed ${r.name}@${r.version}: ${result.path}\n${describeCheck(result.check)}`);
      if (!result.check.valid && !(o.certificate && result.check.status === 'unverified')) cli.fail('the signature just made does not verify', 1);
    });
}
