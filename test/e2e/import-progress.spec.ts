// An import is one thing from drop to row: a placeholder row in the Models table (name, size, one bar
// over upload + hash + scan that never goes back, speed), then the real row; a file that is no model
// becomes an error row with the reason and Dismiss; the Jobs drawer holds one row per import, and
// its rows open what they made (click or Enter, with a visible focus ring).
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, shot } from './fixtures';
import { writeModel } from './files';
import { views } from './views';

test('placeholder row with monotonic progress, not-a-model error row, one clickable job row per import', async ({ page, hallmark }) => {
  // ~6 MB of real safetensors, uploaded at ~1 MB/s so the placeholder is seen moving.
  const big = writeModel(hallmark.work, 'big-net.safetensors', 1_600_000, 4);
  await page.setViewportSize({ width: 1024, height: 700 });
  await hallmark.open(page);
  await expect(page.getByTestId('empty-state')).toBeVisible();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 1_000_000 });

  // Record every value the placeholder's bar and the status bar show, as often as the page renders.
  await page.evaluate(() => {
    const w = window as unknown as { __bars: number[]; __status: number[] };
    w.__bars = [];
    w.__status = [];
    const tick = () => {
      const bar = document.querySelector('[data-testid="pending-imports"] [role="progressbar"]');
      const v = bar?.getAttribute('aria-valuenow');
      if (v != null && Number(v) !== w.__bars.at(-1)) w.__bars.push(Number(v));
      const m = /(\d+)%/.exec(document.querySelector('[data-testid="status-jobs"]')?.textContent ?? '');
      if (m && Number(m[1]) !== w.__status.at(-1)) w.__status.push(Number(m[1]));
      requestAnimationFrame(tick);
    };
    tick();
  });
  await page.getByTestId('import-input').setInputFiles(big.path);

  const placeholder = page.locator('[data-pending="big-net.safetensors"]');
  await expect(placeholder).toBeVisible();
  await expect(placeholder).toContainText('uploading');
  await expect(placeholder).toContainText(/of 6\.\d+ MB · \d+(\.\d+)? [KM]B\/s/);
  await expect(placeholder.getByRole('progressbar')).toHaveAttribute('aria-valuenow', /^([1-9]|[1-4]\d)$/);
  // Light and dark at 1024, 1440 and 1920 while the upload runs.
  await views(page, 'import-placeholder');
  await page.setViewportSize({ width: 1440, height: 900 });
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // The placeholder gives way to the real row.
  await expect(page.locator('[role="row"][data-name="big-net"]')).toBeVisible({ timeout: 30_000 });
  await expect(placeholder).toHaveCount(0);
  const { bars, status } = await page.evaluate(() => {
    const w = window as unknown as { __bars: number[]; __status: number[] };
    return { bars: w.__bars, status: w.__status };
  });
  test.info().annotations.push({ type: 'placeholder-progress', description: bars.join(' ') }, { type: 'status-progress', description: status.join(' ') });
  expect(bars.length).toBeGreaterThan(2);
  for (let i = 1; i < bars.length; i++) expect(bars[i]!, `placeholder bar went back: ${bars.join(' ')}`).toBeGreaterThanOrEqual(bars[i - 1]!);
  for (let i = 1; i < status.length; i++) expect(status[i]!, `status bar went back: ${status.join(' ')}`).toBeGreaterThanOrEqual(status[i - 1]!);

  // A text file is refused as "not a model": an error row with the reason and Dismiss, an error toast.
  const notes = path.join(hallmark.work, 'notes.txt');
  fs.writeFileSync(notes, 'Things to try: quantise to Q4, compare with the 8B.\n');
  await page.getByTestId('import-input').setInputFiles(notes);
  const bad = page.locator('[data-pending="notes.txt"]');
  await expect(bad).toContainText('"notes.txt" is not a model file Hallmark recognises: it reads as plain text');
  await expect(bad.getByRole('button', { name: 'Dismiss Import notes.txt' })).toBeVisible();
  await expect(page.getByRole('alert').filter({ hasText: 'notes.txt is not a model' }).or(page.getByRole('status').filter({ hasText: 'notes.txt is not a model' })).first()).toBeVisible();
  await shot(page, 'import-not-a-model-1440');
  expect((await hallmark.cli('list', '--json')).json<Array<{ model: string }>>().map((r) => r.model)).toEqual(['big-net']);
  await shot(page, 'import-not-a-model-row');
  await bad.getByRole('button', { name: 'Dismiss Import notes.txt' }).click();
  await expect(bad).toHaveCount(0);
  await expect(page.getByTestId('models-grid')).toBeFocused();
  // A format Hallmark does not know can still be registered on purpose: "Import anyway".
  const odd = path.join(hallmark.work, 'weights.custom');
  fs.writeFileSync(odd, Buffer.from('CUSTOM-FORMAT v1 \x00\x01\x02 weights follow', 'latin1'));
  await page.getByTestId('import-input').setInputFiles(odd);
  const oddRow = page.locator('[data-pending="weights.custom"]');
  await expect(oddRow).toContainText('match no model format');
  await oddRow.getByRole('button', { name: 'Import anyway: weights.custom' }).click();
  await expect(page.locator('[role="row"][data-name="weights.custom"]')).toBeVisible();
  await expect(oddRow).toHaveCount(0);

  // The Jobs drawer: one row per import (no separate "Upload" row), rows open what they made.
  await page.getByTestId('status-jobs').click();
  const drawer = page.getByRole('dialog', { name: 'Jobs' });
  await expect(drawer.getByRole('listitem')).toHaveCount(3);
  await expect(drawer.getByRole('listitem', { name: 'Import weights.custom: done' })).toBeVisible();
  await expect(drawer.getByRole('listitem', { name: 'Import big-net.safetensors: done' })).toBeVisible();
  await expect(drawer.getByRole('listitem', { name: /^Import notes\.txt: failed/ })).toContainText('not a model file');
  await expect(drawer.getByRole('listitem', { name: /^Upload / })).toHaveCount(0);
  const link = drawer.getByRole('link', { name: 'Import big-net.safetensors' });
  await link.focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Shift+Tab');
  await expect(link).toBeFocused();
  const ring = await drawer.getByRole('listitem', { name: 'Import big-net.safetensors: done' }).evaluate((el) => getComputedStyle(el).outlineStyle);
  expect(ring).toBe('solid');
  await shot(page, 'jobs-drawer-focus-1440');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'big-net' })).toBeVisible();
  await expect(drawer).toBeHidden();
  expect(page.url()).toContain('#/models/big-net%401');
});
