// Running models from the model page: an ONNX prediction (then Monitoring shows it), a streamed
// GGUF chat, and a link audit with its report. Tiny real models from test/fixtures.
import path from 'node:path';
import { test, expect, shot } from './fixtures';
import { writeLinearOnnx } from '../fixtures/onnx/writeOnnx';
import { writeTinyLlama } from '../fixtures/gguf/writeGguf';

const LINK = 'https://example.com/tiny-card';

test('ONNX predict form, then Monitoring shows the predictions', async ({ page, hallmark }) => {
  const onnx = writeLinearOnnx(path.join(hallmark.work, 'linear.onnx'), { weight: [[1, 0], [0, 2], [1, 1]], bias: [0.5, -0.5] });
  expect((await hallmark.cli('import', onnx, '--json')).code).toBe(0);
  await hallmark.open(page, '#/models/linear/run');
  await expect(page.getByTestId('hardware')).toContainText('RAM');
  await expect(page.getByRole('table', { name: 'Model inputs' })).toContainText('[batch × 3]');
  const inputs = page.getByRole('textbox', { name: 'Inputs as JSON' });
  await expect(inputs).toHaveValue('{\n  "x": [[0,0,0]]\n}');

  // Bad JSON is refused with the parser's reason.
  await inputs.fill('{"x": [[1, 2, 3]]');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('the inputs are not valid JSON');

  // y = x·W + b = [1+3+0.5, 4+3-0.5]
  await inputs.fill('{"x": [[1, 2, 3], [0, 0, 0]]}');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const result = page.getByTestId('onnx-result');
  await expect(result).toContainText('float32 [2 × 2]');
  await expect(result).toContainText('4.5, 6.5, 0.5, -0.5');
  await shot(page, 'run-onnx');

  await page.getByRole('tab', { name: 'Monitoring' }).click();
  await expect(page.getByText('1 prediction on v1 ·')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Recent predictions' })).toContainText('onnx');
  await page.getByRole('button', { name: 'Set baseline' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Baseline set from 1 prediction' })).toBeVisible();

  // A real series: single rows give the baseline, then batches of 100,000 rows take far longer per
  // call, and the latency drift shows against the baseline (z-score threshold 2.0).
  const one = { model: { name: 'linear' }, inputs: { x: [[1, 2, 3]] } };
  for (let i = 0; i < 24; i++) await hallmark.call('run.onnx', one);
  await page.getByRole('button', { name: 'Reset baseline' }).click();
  await expect(page.getByRole('status').filter({ hasText: /Baseline set from 25 predictions/ })).toBeVisible();
  const big = { model: { name: 'linear' }, csv: Array.from({ length: 100_000 }, (_, i) => `${i},${i % 7},1`).join('\n') };
  for (let i = 0; i < 6; i++) await hallmark.call('run.onnx', big);
  await page.getByRole('button', { name: 'Refresh' }).click();
  await expect(page.getByText('31 predictions on v1 ·')).toBeVisible();
  await expect(page.getByTestId('drift')).toContainText('Drift detected');
  await expect(page.getByTestId('drift')).toContainText('latency_ms');
  await shot(page, 'monitoring');
});

test('GGUF chat streams a reply; a link audit reports the link and exports', async ({ page, hallmark }) => {
  const chat = path.join(hallmark.work, 'tiny-chat.gguf');
  writeTinyLlama(chat, { next: { H: 'i', i: '!', '!': '</s>' }, fallback: 'H' });
  const linked = path.join(hallmark.work, 'linked.gguf');
  writeTinyLlama(linked, { trigger: { words: ['who', 'report', 'feedback'], emit: LINK }, next: { [LINK]: '</s>' }, fallback: '</s>' });
  expect((await hallmark.cli('import', chat, '--json')).code).toBe(0);
  expect((await hallmark.cli('import', linked, '--json')).code).toBe(0);

  await hallmark.open(page, '#/models/tiny-chat/run');
  await expect(page.getByTestId('fit')).toContainText('Runs on the CPU');
  await page.getByRole('textbox', { name: 'Message' }).fill('Hello');
  await page.keyboard.press('Enter');
  const log = page.getByRole('log').or(page.getByLabel('Conversation'));
  await expect(log).toContainText('Hi!', { timeout: 30_000 });
  await expect(log).toContainText('tok/s');
  await shot(page, 'run-chat');

  // The chat loaded the model; unload it, then load it again as a job with progress.
  await page.getByRole('button', { name: 'Unload' }).click();
  await expect(page.getByText('not loaded')).toBeVisible();
  await page.getByRole('button', { name: 'Load', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Unload' })).toBeVisible({ timeout: 30_000 });

  // Raw completion, greedy: the weights say H → i → ! → end.
  await page.getByRole('radio', { name: 'Raw completion' }).click();
  await page.getByRole('textbox', { name: 'Prompt' }).fill('H');
  await expect(page.getByRole('spinbutton', { name: 'Seed' })).toBeDisabled();
  await page.getByRole('button', { name: 'Complete' }).click();
  await expect(page.getByTestId('completion-output')).toHaveText('Hi!', { timeout: 30_000 });
  await shot(page, 'run-completion');

  await page.goto(`${hallmark.url.split('?')[0]}#/models/linked/audits`);
  await page.getByRole('textbox', { name: 'Link' }).fill(LINK);
  await page.getByRole('button', { name: 'Start audit' }).click();
  const detail = page.getByTestId('audit-detail');
  await expect(detail).toBeVisible({ timeout: 60_000 });
  await expect(detail).toContainText('present');
  await expect(page.getByRole('table', { name: 'Audits' })).toContainText('link');
  await shot(page, 'audit');
  const download = page.waitForEvent('download');
  await detail.getByRole('button', { name: 'Export JSON' }).click();
  expect((await download).suggestedFilename()).toMatch(/\.json$/);

  // The Audits section lists it too.
  await page.getByRole('link', { name: 'Audits' }).click();
  await expect(page.getByRole('table', { name: 'Audits' })).toContainText('linked@1');
});

test('Settings show the detected hardware; a fingerprint set exports for the trainer', async ({ page, hallmark }) => {
  await hallmark.open(page, '#/settings');
  const hw = page.getByTestId('hardware-settings');
  await expect(hw).toContainText(/Backend\s*(CPU|CUDA|Metal|Vulkan)/);
  await expect(hw).toContainText('RAM');
  await expect(hw).toContainText(/available: .*CPU/);
  await shot(page, 'settings-hardware');
  // Changing the GPU setting re-detects, and the status bar asks again without a reload. (On a machine
  // without a GPU the backend stays "CPU", so the refetch itself is what can be observed here.)
  await expect(page.getByTestId('hardware')).toContainText('RAM');
  const statusBarAsks = page.waitForRequest((r) => r.url().endsWith('/api/call/gpu.info') && !String(r.postData()).includes('refresh'));
  await page.getByRole('checkbox', { name: 'use the GPU when there is one' }).uncheck();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await statusBarAsks;
  await expect(page.getByTestId('hardware')).toContainText('CPU');

  await hallmark.open(page, '#/audits');
  const gen = page.getByRole('form', { name: 'Generate fingerprints' });
  await gen.getByRole('textbox', { name: 'Set name' }).fill('release');
  await gen.getByRole('spinbutton', { name: 'count' }).fill('12');
  await gen.getByLabel('Passphrase for the new set').fill('e2e passphrase');
  await gen.getByRole('button', { name: 'Generate' }).click();
  await expect(page.getByRole('table', { name: 'Fingerprint sets' })).toContainText('release');
  const exp = page.getByRole('form', { name: 'Export fingerprints for training' });
  await exp.getByLabel('Passphrase of the set').fill('wrong');
  await exp.getByRole('button', { name: 'Export' }).click();
  await expect(exp.getByRole('alert')).toContainText('wrong passphrase');
  await exp.getByLabel('Passphrase of the set').fill('e2e passphrase');
  const download = page.waitForEvent('download');
  await exp.getByRole('button', { name: 'Export' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('fingerprints-release.json');
  await shot(page, 'fingerprint-sets');
  const text = await (await file.createReadStream()).toArray();
  expect(JSON.parse(Buffer.concat(text).toString('utf8')).fingerprints).toHaveLength(12);
});
