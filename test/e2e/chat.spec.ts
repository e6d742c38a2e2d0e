// Chat like LM Studio: the message box stays pinned while the transcript scrolls (5 turns), a suggested
// first prompt, copy, regenerate, new chat, readable stop reasons, one sampling panel, the GGUF's chat
// template and context size, and the hardware card (fit, RAM bar, CPU and cores).
import path from 'node:path';
import { test, expect } from './fixtures';
import { writeTinyLlama } from '../fixtures/gguf/writeGguf';
import { views } from './views';

const TEMPLATE = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}<|assistant|>";

test('chat stays pinned after 5 turns; suggestions, copy, regenerate, new chat; template and hardware shown', async ({ page, hallmark }) => {
  const chat = path.join(hallmark.work, 'tiny-chat.gguf');
  // Greedy: whatever the prompt ends with, the reply is "Hi!" (fallback H → i → ! → end).
  writeTinyLlama(chat, { next: { H: 'i', i: '!', '!': '</s>' }, fallback: 'H', chatTemplate: TEMPLATE, contextLength: 2048 });
  expect((await hallmark.cli('import', chat, '--json')).code).toBe(0);
  await page.setViewportSize({ width: 1024, height: 700 });
  await hallmark.open(page, '#/models/tiny-chat/run');

  // Model card: context size and the chat template from the file; hardware card: fit, RAM bar, CPU.
  const card = page.getByTestId('model-card');
  await expect(page.getByTestId('context-size')).toContainText('trained on 2,048');
  await expect(card).toContainText('from the GGUF');
  await card.getByText('Show the chat template').click();
  await expect(page.getByTestId('chat-template')).toContainText("<|assistant|>");
  const hw = page.getByTestId('hardware-card');
  await expect(page.getByTestId('fit')).toContainText(/Runs on the CPU|GPU offload/);
  await expect(page.getByTestId('ram-meter')).toBeVisible();
  await expect(page.getByTestId('cpu')).toContainText(/\d+ cores/);
  // One sampling panel: one max tokens, one temperature, one seed on the page.
  await expect(page.getByRole('spinbutton', { name: 'Max tokens' })).toHaveCount(1);
  await expect(page.getByRole('spinbutton', { name: 'Temperature' })).toHaveCount(1);
  await expect(page.getByRole('spinbutton', { name: 'Seed' })).toHaveCount(1);
  await expect(hw).toBeVisible();
  await views(page, 'chat-empty');

  // A suggested first prompt sends on one click.
  const log = page.getByTestId('chat-log');
  await page.getByRole('button', { name: 'Introduce yourself in one sentence.' }).click();
  await expect(log.locator('.bubble-assistant:not(.streaming)').first()).toContainText('Hi!', { timeout: 30_000 });
  await expect(log).toContainText('finished');
  await expect(log).not.toContainText('eogToken');

  const message = page.getByRole('textbox', { name: 'Message' });
  for (let i = 2; i <= 5; i++) {
    await message.fill(`Message number ${i}, long enough to take a line or two of the transcript in a narrow window.`);
    await page.keyboard.press('Enter');
    await expect(log.locator('.bubble-assistant:not(.streaming)')).toHaveCount(i, { timeout: 30_000 });
  }
  // The transcript scrolls inside itself; the message box is still on screen, at the bottom.
  const scrolls = await log.evaluate((el) => el.scrollHeight > el.clientHeight);
  expect(scrolls).toBe(true);
  const box = await message.boundingBox();
  expect(box).not.toBeNull();
  expect(box!.y + box!.height).toBeLessThanOrEqual(700);
  await expect(message).toBeInViewport();
  const atBottom = await log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 4);
  expect(atBottom).toBe(true);
  await views(page, 'chat-five-turns');

  // Regenerate replaces the last reply; copy puts a reply on the clipboard.
  await page.getByRole('button', { name: 'Regenerate' }).click();
  await expect(log.locator('.bubble-assistant:not(.streaming)')).toHaveCount(5, { timeout: 30_000 });
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await log.getByRole('button', { name: /^Copy reply/ }).last().click();
  await expect(page.getByRole('status').filter({ hasText: 'Copied to the clipboard' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('Hi!');

  // New chat empties the transcript and brings the suggestions back.
  await page.getByRole('button', { name: 'New chat' }).click();
  await expect(log.locator('.bubble')).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Introduce yourself in one sentence.' })).toBeVisible();

  // Max tokens 1: the stop reason reads as words.
  await page.getByRole('spinbutton', { name: 'Max tokens' }).fill('1');
  await message.fill('Hello');
  await page.keyboard.press('Enter');
  await expect(log).toContainText('cut off at the max tokens limit', { timeout: 30_000 });
});
