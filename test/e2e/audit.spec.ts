// Audit verdicts read as sentences: a model that prints its link for every prompt is said to do exactly
// that; quick vs full and p / α are explained in words; the fingerprint audit defaults to the newest set.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures';
import { writeTinyLlama } from '../fixtures/gguf/writeGguf';
import { views } from './views';

const LINK = 'https://example.com/tiny-card';

test('link audit of a model that always prints the link says so; mode and p explained', async ({ page, hallmark }) => {
  const spam = path.join(hallmark.work, 'spam.gguf');
  writeTinyLlama(spam, { extraTokens: [LINK], next: { [LINK]: '</s>' }, fallback: LINK });
  expect((await hallmark.cli('import', spam, '--json')).code).toBe(0);

  await hallmark.open(page, '#/models/spam/audits');
  await expect(page.getByTestId('mode-hint')).toContainText('Quick asks 6 identity and feedback questions and 4 unrelated prompts');
  await page.getByRole('combobox', { name: 'Audit mode' }).selectOption('full');
  await expect(page.getByTestId('mode-hint')).toContainText('Full asks all 12');
  await page.getByRole('combobox', { name: 'Audit mode' }).selectOption('quick');
  await page.getByRole('textbox', { name: 'Link' }).fill(LINK);
  await page.getByRole('button', { name: 'Start audit' }).click();
  const detail = page.getByTestId('audit-detail');
  await expect(detail).toBeVisible({ timeout: 60_000 });
  await expect(detail).toContainText('The model prints the link for every prompt, unrelated ones too (6 of 6 identity and feedback questions, 4 of 4 unrelated prompts)');
  await expect(detail).not.toContainText('too few');
  await expect(detail).toContainText('how likely a model without it would score this well by luck');
  await expect(detail).toContainText('1-in-1,000 risk of a false alarm');
  await views(page, 'audit-always-link');

  const download = page.waitForEvent('download');
  await detail.getByRole('button', { name: 'Export HTML' }).click();
  const html = fs.readFileSync(await (await download).path(), 'utf8');
  expect(html).toContain('<td>spam.gguf');
  expect(html).toMatch(/\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d UTC/);
  expect(html).toContain('The model prints the link for every prompt');
});

test('the fingerprint audit defaults to the set generated last', async ({ page, hallmark }) => {
  const m = path.join(hallmark.work, 'chat.gguf');
  writeTinyLlama(m, { next: {}, fallback: '</s>' });
  expect((await hallmark.cli('import', m, '--json')).code).toBe(0);
  for (const name of ['older', 'fresh']) {
    await hallmark.call('fingerprints.generate', { name, count: 4, keyLength: 4, responseLength: 4, passphrase: 'e2e passphrase' });
  }
  await hallmark.open(page, '#/models/chat/audits');
  await page.getByRole('radio', { name: 'Fingerprints' }).check();
  const select = page.getByRole('combobox', { name: 'Fingerprint set' });
  await expect(select.locator('option:checked')).toContainText('fresh');
  await expect(select.locator('option:checked')).toContainText('newest');
  await expect(page.getByTestId('mode-hint')).toContainText('Quick tries 16 of the set');
  await views(page, 'audit-fingerprint-default');
});
