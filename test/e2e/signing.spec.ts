// Signatures in the app: a model imported with a tampered model.sig shows INVALID in the Models table and
// its Security tab names the file; an unsigned one is signed from the Signature panel with a key path, then
// verified with the public key; the Signature filter chip narrows the table.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, shot } from './fixtures';

const sha = (b: Buffer | string) => crypto.createHash('sha256').update(b).digest('hex');

/** A model.sig as model-signing 1.x writes one (key method), for `files` in `dir`. */
function signFolder(dir: string, files: Record<string, string>, key: crypto.KeyObject): void {
  const names = Object.keys(files).sort();
  const root = crypto.createHash('sha256');
  for (const n of names) root.update(Buffer.from(sha(files[n]!), 'hex'));
  const payload = Buffer.from(JSON.stringify({
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: path.basename(dir), digest: { sha256: root.digest('hex') } }],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: {
      serialization: { method: 'files', ignore_paths: ['model.sig', '.git'], hash_type: 'sha256', allow_symlinks: false },
      resources: names.map((n) => ({ name: n, algorithm: 'sha256', digest: sha(files[n]!) })),
    },
  }, null, 2));
  const type = 'application/vnd.in-toto+json';
  const pae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
  const pub = crypto.createPublicKey(key).export({ type: 'spki', format: 'pem' }) as string;
  fs.writeFileSync(path.join(dir, 'model.sig'), JSON.stringify({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: { publicKey: { hint: sha(pub) }, tlogEntries: [] },
    dsseEnvelope: { payload: payload.toString('base64'), payloadType: type, signatures: [{ sig: crypto.sign('sha256', pae, key).toString('base64'), keyid: '' }] },
  }));
}

test('signature status in the table, the panel naming a tampered file, signing and verifying from the panel', async ({ page, hallmark }) => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyFile = path.join(hallmark.work, 'release-key.pem');
  const pubFile = path.join(hallmark.work, 'release-key.pub.pem');
  fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  fs.writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));

  // A model whose config.json was changed after it was signed.
  const tampered = path.join(hallmark.work, 'sentiment-bert');
  fs.mkdirSync(tampered);
  const files = { 'config.json': '{"hidden_size": 8}', 'model.safetensors': 'weights'.repeat(100) };
  for (const [n, c] of Object.entries(files)) fs.writeFileSync(path.join(tampered, n), c);
  signFolder(tampered, files, privateKey);
  fs.writeFileSync(path.join(tampered, 'config.json'), '{"hidden_size": 8, "trust_remote_code": true}');
  // And an unsigned one.
  const plain = path.join(hallmark.work, 'tiny-classifier');
  fs.mkdirSync(plain);
  fs.writeFileSync(path.join(plain, 'model.safetensors'), 'plain'.repeat(50));
  for (const p of [tampered, plain]) {
    const r = await hallmark.cli('import', p, '--json');
    expect(r.code, r.stderr).toBe(0);
  }

  await hallmark.open(page, '#/models');
  const badRow = page.getByRole('row', { name: /sentiment-bert/ });
  await expect(badRow.getByText('INVALID', { exact: true })).toBeVisible();
  await expect(page.getByRole('row', { name: /tiny-classifier/ }).getByText('unsigned')).toBeVisible();
  await page.getByRole('group', { name: 'Signature filter' }).getByRole('button', { name: /invalid/ }).click();
  await expect(page.getByRole('row', { name: /tiny-classifier/ })).toHaveCount(0);
  await shot(page, 'signing-models-invalid');

  await hallmark.open(page, '#/models/sentiment-bert/security');
  const panel = page.getByRole('region', { name: 'Signature' });
  await expect(panel.getByRole('alert')).toContainText('config.json');
  await expect(panel.getByLabel('Files that do not match the signature')).toContainText('config.json');
  await panel.scrollIntoViewIfNeeded();
  await shot(page, 'signing-panel-invalid');

  await hallmark.open(page, '#/models/tiny-classifier/security');
  const p2 = page.getByRole('region', { name: 'Signature' });
  await expect(p2.getByText('unsigned', { exact: true })).toBeVisible();
  await p2.getByLabel('Sign with private key').fill(keyFile);
  await p2.getByRole('button', { name: 'Sign', exact: true }).click();
  await expect(p2.getByText('signed · valid')).toBeVisible();
  await p2.getByLabel('Path to the PEM file').fill(pubFile);
  await p2.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(p2.getByText('signed · valid')).toBeVisible();
  await expect(p2).toContainText('registry digests reused');
  await p2.scrollIntoViewIfNeeded();
  await shot(page, 'signing-panel-valid');

  // A wrong key path says what is wrong.
  await p2.getByLabel('Path to the PEM file').fill(path.join(hallmark.work, 'nope.pem'));
  await p2.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(p2.getByText(/cannot read the public key/)).toBeVisible();

  const v = await hallmark.cli('verify-signature', 'tiny-classifier@1', '--key', pubFile, '--json');
  expect(v.code).toBe(0);
});
