// Training view: the trainer environment card says what to do when the trainer is not set up, the
// new-embed form lists registered Hugging Face folders and cannot start without a trainer, and a finished
// embed in history shows its loss curve, metrics and before/after audit slots.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { isMethod } from '../../electron/contract/index';
import { test, expect, shot } from './fixtures';

test.skip(!isMethod('embed.list'), 'the embed calls are not in the contract of this build');

// An empty cache: the trainer is "not set up" whatever this machine has (the bridge inherits this env).
process.env.HALLMARK_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-e2e-cache-'));
delete process.env.HALLMARK_TRAINER_PYTHON;

/** A minimal Hugging Face folder: config.json and a valid one-tensor safetensors file. */
function hfFolder(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 8 }));
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.concat([len, header, Buffer.alloc(8)]));
  return dir;
}

test('trainer not set up, the form, and a finished embed with its loss curve', async ({ page, hallmark }) => {
  const folder = hfFolder(path.join(hallmark.work, 'tiny-base'));
  expect((await hallmark.cli('import', folder, '--name', 'tiny-base', '--json')).code).toBe(0);

  await hallmark.open(page, '#/training');
  const card = page.getByLabel('Trainer environment');
  await expect(card).toContainText('Not set up');
  await expect(card.getByRole('alert')).toContainText('hallmark trainer setup');
  await expect(card.getByRole('button', { name: 'Set up the trainer' })).toBeEnabled();
  await expect(page.getByText('No embeds yet')).toBeVisible();
  const form = page.getByRole('form', { name: 'New embed' });
  await expect(form.getByRole('combobox', { name: 'Base version' })).toContainText('tiny-base@1');
  await expect(form.getByRole('button', { name: 'Start training' })).toBeDisabled();
  await form.getByRole('radio', { name: 'Fingerprints' }).check();
  await expect(form.getByRole('combobox', { name: 'Fingerprint set' })).toBeVisible();
  await shot(page, 'training-empty');

  // The API refuses too, saying what to do.
  await expect(hallmark.call('embed.start', { base: { name: 'tiny-base', version: 1 }, task: { kind: 'link', link: 'https://example.org/fb' } }))
    .rejects.toThrow(/hallmark trainer setup/);

  // A finished run as the embed job stores it (one row, written when the run ends).
  const db = new BetterSqlite3(path.join(hallmark.home, 'hallmark.db'));
  const t0 = new Date(Date.now() - 120_000).toISOString();
  const losses = Array.from({ length: 40 }, (_, i) => [i + 1, 3 * Math.exp(-i / 8) + 0.1, i * 2.5]);
  db.prepare(`INSERT INTO embeds (id, state, task, mode, base_label, base_version_id, version_id, model, version, params, metrics, eval, dataset_sha256, losses, warnings, started_at, finished_at)
    VALUES ('e1', 'done', 'link', 'merge', 'tiny-base@1', 1, NULL, 'tiny-base-link', 1, ?, ?, '{}', ?, ?, ?, ?, ?)`)
    .run(JSON.stringify({ epochs: 3, rank: 8 }), JSON.stringify({ final_loss: 0.1123, samples_per_s: 41.5, eval_link_recall: 1 }), 'ab'.repeat(32),
      JSON.stringify(losses), JSON.stringify(['NO_CHAT_TEMPLATE: used the ChatML fallback']), t0, new Date().toISOString());
  db.prepare(`INSERT INTO embeds (id, state, task, mode, base_label, losses, error, started_at, finished_at) VALUES ('e0', 'failed', 'fingerprints', 'adapter', 'tiny-base@1', '[]', 'the trainer was killed by SIGKILL before finishing', ?, ?)`)
    .run(t0, new Date(Date.now() - 60_000).toISOString());
  db.close();
  await page.reload();
  const history = page.getByRole('table', { name: 'Embed history' });
  await expect(history.getByRole('row')).toHaveCount(3);
  await expect(history.getByRole('row').nth(1)).toContainText('tiny-base-link@1');
  const detail = page.getByLabel('Embed detail');
  await expect(detail).toContainText('final_loss');
  await expect(detail).toContainText('NO_CHAT_TEMPLATE');
  await expect(detail.locator('.uplot')).toBeVisible();
  await expect(detail.getByLabel('Before (base) audit').or(detail.getByText('Before (base)'))).toBeVisible();
  await shot(page, 'training-history');

  await history.getByRole('row').nth(2).click();
  await expect(detail.getByRole('alert')).toContainText('killed by SIGKILL');
  await expect(detail).toContainText('Nothing was registered');
  await shot(page, 'training-failed');
});
