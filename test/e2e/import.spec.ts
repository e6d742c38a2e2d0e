// Importing through the UI: the empty state, ⌘O (file chooser and the input itself), a synthetic
// drag-and-drop, upload progress, and the file listed with its SHA-256 in the Files tab.
import fs from 'node:fs';
import { test, expect, shot } from './fixtures';
import { writeModel } from './files';

test('empty state, then ⌘O imports a file that shows its SHA-256 in the Files tab', async ({ page, hallmark }) => {
  const f = writeModel(hallmark.work, 'tiny-classifier.safetensors', 512, 3);
  await hallmark.open(page);
  const empty = page.getByTestId('empty-state');
  await expect(empty).toContainText('Drop a model file here or press Ctrl+O');
  await shot(page, 'empty-state');

  // ⌘O (Ctrl+O here) opens the file chooser.
  await page.getByTestId('models-count').click();
  const chooserPromise = page.waitForEvent('filechooser');
  await page.keyboard.press('Control+o');
  const chooser = await chooserPromise;
  expect(chooser.isMultiple()).toBe(true);
  await chooser.setFiles(f.path);

  await expect(page.getByRole('status').filter({ hasText: 'Imported tiny-classifier@1' })).toBeVisible();
  const row = page.locator('[role="row"][data-name="tiny-classifier"]');
  await expect(row).toBeVisible();
  await expect(row).toContainText('v1');
  await expect(page.getByTestId('models-count')).toHaveText('1');
  await shot(page, 'models-one-row');

  await row.click();
  await expect(page.getByRole('heading', { level: 1, name: 'tiny-classifier' })).toBeVisible();
  await page.getByRole('tab', { name: 'Files' }).click();
  const fileRow = page.locator('tr[data-path="tiny-classifier.safetensors"]');
  await expect(fileRow).toContainText(f.sha256);
  await expect(fileRow).toContainText('2.15 KB');
  await shot(page, 'files-tab');

  // The input itself (what ⌘O opens) takes several files at once: each becomes a model.
  const a = writeModel(hallmark.work, 'alpha.safetensors', 64, 11);
  const b = writeModel(hallmark.work, 'beta.safetensors', 64, 12);
  await page.getByTestId('import-input').setInputFiles([a.path, b.path]);
  await expect(page.getByRole('status').filter({ hasText: 'Imported alpha@1' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'Imported beta@1' })).toBeVisible();
  const list = await hallmark.cli('list', '--json');
  expect(list.json<Array<{ model: string }>>().map((r) => r.model).sort()).toEqual(['alpha', 'beta', 'tiny-classifier']);

  // The Jobs drawer lists the uploads and imports, finished.
  await page.getByTestId('status-jobs').click();
  const drawer = page.getByRole('dialog', { name: 'Jobs' });
  await expect(drawer.getByRole('listitem', { name: /Import tiny-classifier.safetensors: done/ })).toBeVisible();
  await expect(drawer.getByRole('listitem', { name: /Import alpha.safetensors: done/ })).toBeVisible();
  // One row per import: the upload is part of it, not a row of its own.
  await expect(drawer.getByRole('listitem', { name: /^Upload / })).toHaveCount(0);
  await shot(page, 'jobs-drawer');
  await page.keyboard.press('Escape');
  await expect(drawer).toBeHidden();
});

test('a synthetic drop shows the overlay and imports the dropped file', async ({ page, hallmark }) => {
  const f = writeModel(hallmark.work, 'dropped-net.safetensors', 300, 5);
  const bytes = fs.readFileSync(f.path).toString('base64');
  await hallmark.open(page);
  await expect(page.getByTestId('empty-state')).toBeVisible();

  await page.evaluate(({ name, b64 }) => {
    const data = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const dt = new DataTransfer();
    dt.items.add(new File([data], name, { type: 'application/octet-stream' }));
    (window as unknown as { __dt: DataTransfer }).__dt = dt;
    const main = document.querySelector('main')!;
    main.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: dt }));
    main.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
  }, { name: 'dropped-net.safetensors', b64: bytes });

  const overlay = page.getByTestId('drop-overlay');
  await expect(overlay).toBeVisible();
  await expect(overlay).toContainText('Copy into the vault');
  await expect(overlay).toContainText('Only in the desktop app');
  await shot(page, 'drop-overlay');

  await page.evaluate(() => {
    const dt = (window as unknown as { __dt: DataTransfer }).__dt;
    const zone = document.querySelector('[data-drop-mode="vault"]')!;
    zone.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
    zone.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  });
  await expect(overlay).toBeHidden();
  await expect(page.getByRole('status').filter({ hasText: 'Imported dropped-net@1' })).toBeVisible();
  await expect(page.locator('[role="row"][data-name="dropped-net"]')).toBeVisible();

  const show = await hallmark.cli('show', 'dropped-net@1', '--json');
  expect(show.code).toBe(0);
  expect(show.json<{ files: Array<{ sha256: string }> }>().files[0]!.sha256).toBe(f.sha256);
});
