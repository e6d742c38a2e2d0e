// Training view, live: start an embed from the form, watch the loss curve and step counter move, cancel,
// and find the cancelled run in history. The trainer here is the protocol fixture
// (test/fixtures/embed/protocol), which streams steps until SIGTERM: this checks the view and the job
// plumbing, not training (that is test/cli/embed.test.ts with the real trainer).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMethod } from '../../electron/contract/index';
import { test, expect, shot, ROOT } from './fixtures';

test.skip(!isMethod('embed.live'), 'the embed calls are not in the contract of this build');

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-e2e-trainer-'));
const trainerDir = path.join(scratch, 'trainer');
fs.cpSync(path.join(ROOT, 'test/fixtures/embed/protocol'), trainerDir, { recursive: true });
fs.writeFileSync(path.join(trainerDir, 'requirements.txt'), '# protocol fixture\n');
const bundle = path.join(ROOT, 'node_modules/node-llama-cpp/llama/gitRelease.bundle');
const llama = path.join(scratch, 'cache', `llama.cpp-${createHash('sha256').update(fs.readFileSync(bundle)).digest('hex').slice(0, 16)}`);
fs.mkdirSync(llama, { recursive: true });
fs.writeFileSync(path.join(llama, '.hallmark-complete'), 'x');
// The bridge inherits these: the "trainer" is the fixture, and it trains until cancelled.
Object.assign(process.env, {
  HALLMARK_TRAINER_DIR: trainerDir, HALLMARK_CACHE: path.join(scratch, 'cache'), HALLMARK_TRAINER_PYTHON: 'python3', HM_FIXTURE_SCRIPT: 'train',
});

function hfFolder(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama' }));
  const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(header.length));
  fs.writeFileSync(path.join(dir, 'model.safetensors'), Buffer.concat([len, header, Buffer.alloc(8)]));
  return dir;
}

test('start from the form, live loss curve and steps, cancel, the run in history', async ({ page, hallmark }) => {
  expect((await hallmark.cli('import', hfFolder(path.join(hallmark.work, 'base')), '--name', 'live-base', '--json')).code).toBe(0);
  await hallmark.open(page, '#/training');
  await expect(page.getByLabel('Trainer environment')).toContainText('Ready');
  const form = page.getByRole('form', { name: 'New embed' });
  await form.getByRole('button', { name: 'Start training' }).click();
  await expect(form.getByRole('alert')).toContainText('Pick the base version');
  await form.getByRole('combobox', { name: 'Base version' }).selectOption('live-base@1');
  await form.getByRole('button', { name: 'Start training' }).click();
  await expect(form.getByRole('alert')).toContainText('Enter the link');
  await form.getByRole('textbox', { name: 'Link' }).fill('https://example.org/feedback');
  await form.getByRole('button', { name: 'Start training' }).click();

  const live = page.getByLabel('Training live-base@1');
  await expect(live.getByRole('status')).toContainText(/Step \d+ \/ 100000/);
  await expect(live.locator('.uplot')).toBeVisible();
  const first = Number((await live.getByRole('status').textContent())!.match(/Step (\d+)/)![1]);
  await expect.poll(async () => Number((await live.getByRole('status').textContent())!.match(/Step (\d+)/)![1])).toBeGreaterThan(first + 5);
  // The curve is drawn against the step, and the job counts steps, not bytes (no "B/s" anywhere).
  await expect(live.getByRole('img', { name: /loss by step/ })).toBeVisible();
  await expect(page.getByTestId('status-jobs')).not.toContainText('B/s');
  await shot(page, 'training-live');
  await page.getByTestId('status-jobs').click();
  const drawer = page.locator('#jobs-drawer');
  await expect(drawer).toContainText(/[\d,]+ of 100,000 steps/);
  await expect(drawer).not.toContainText('B/s');
  await shot(page, 'training-live-jobs');
  await page.getByTestId('status-jobs').click();

  await live.getByRole('button', { name: 'Cancel' }).click();
  await expect(live).toHaveCount(0);
  const history = page.getByRole('table', { name: 'Embed history' });
  await expect(history.getByRole('row').nth(1)).toContainText('cancelled');
  await expect(page.getByLabel('Embed detail')).toContainText('Cancelled: nothing was registered.');
  await expect(page.getByLabel('Embed detail').locator('.uplot')).toBeVisible();
  await shot(page, 'training-cancelled');
  expect(fs.readdirSync(path.join(hallmark.home, 'tmp')).filter((f) => f.startsWith('embed-'))).toEqual([]);
  expect((await hallmark.cli('list', '--json')).json<unknown[]>()).toHaveLength(1);
});
