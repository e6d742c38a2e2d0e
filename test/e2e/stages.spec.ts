// Stage actions (production demotes the previous production version to archived) and Compare.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, shot } from './fixtures';
import { writeModel } from './files';

test('promote to production archives the previous one; compare shows metric deltas and file changes', async ({ page, hallmark }) => {
  // v1: weights + config; v2: changed weights, same config, an added tokenizer.
  const v1 = path.join(hallmark.work, 'v1');
  const v2 = path.join(hallmark.work, 'v2');
  writeModel(v1, 'weights.safetensors', 256, 1);
  writeModel(v2, 'weights.safetensors', 256, 2);
  for (const d of [v1, v2]) fs.writeFileSync(path.join(d, 'config.json'), '{"hidden": 16}\n');
  fs.writeFileSync(path.join(v2, 'tokenizer.json'), '{"vocab": ["a", "b"]}\n');
  expect((await hallmark.cli('import', v1, '--name', 'resnet-mini', '--tag', 'vision', '--metrics', '{"accuracy":0.91,"loss":0.3}', '--json')).code).toBe(0);
  expect((await hallmark.cli('import', v2, '--name', 'resnet-mini', '--metrics', '{"accuracy":0.935,"loss":0.25,"f1":0.9}', '--json')).code).toBe(0);

  await hallmark.open(page, '#/models/resnet-mini%401');
  await expect(page.getByRole('heading', { level: 1, name: 'resnet-mini' })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Metrics of v1' })).toContainText('0.91');
  await page.getByRole('button', { name: 'Promote to production' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'resnet-mini@1 → production' })).toBeVisible();

  // Switch to v2 with the version picker and promote it: v1 becomes archived.
  await page.getByRole('combobox', { name: 'Version' }).selectOption('2');
  await expect(page.getByRole('heading', { name: 'Stage of v2' })).toBeVisible();
  await expect(page.getByText('Promoting to production archives v1')).toBeVisible();
  await page.getByRole('button', { name: 'Promote to production' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'v1 archived' })).toBeVisible();
  const lineage = page.getByRole('list', { name: 'Versions, newest first' });
  await expect(lineage.getByRole('listitem').nth(0)).toContainText('production');
  await expect(lineage.getByRole('listitem').nth(1)).toContainText('archived');
  await shot(page, 'overview-promoted');
  const versions = (await hallmark.cli('versions', 'resnet-mini', '--json')).json<Array<{ version: number; stage: string }>>();
  expect(versions.map((v) => [v.version, v.stage])).toEqual([[2, 'production'], [1, 'archived']]);

  // The Models list shows the stage badge of the latest version.
  await page.getByRole('link', { name: 'Models', exact: true }).first().click();
  await expect(page.locator('[role="row"][data-name="resnet-mini"]')).toContainText('production');

  // Compare: v1 → v2 by default.
  await page.goto(`${hallmark.url.split('?')[0]}#/models/resnet-mini/compare`);
  const result = page.getByTestId('compare-result');
  await expect(result).toBeVisible();
  const metrics = page.getByRole('table', { name: 'Metrics diff' });
  await expect(metrics.getByRole('row', { name: /accuracy/ })).toContainText('+0.025');
  await expect(metrics.getByRole('row', { name: /loss/ })).toContainText('−0.05');
  await expect(metrics.getByRole('row', { name: /f1/ })).toContainText('—');
  await expect(result).toContainText('+1 added');
  await expect(result).toContainText('~1 changed');
  await expect(result).toContainText('1 unchanged');
  await expect(result).toContainText('tokenizer.json');
  await expect(result).toContainText('weights.safetensors');
  await shot(page, 'compare');

  // Swapping flips the direction.
  await page.getByRole('button', { name: 'Swap versions' }).click();
  await expect(result).toContainText('Metrics: v2 → v1');
  await expect(result).toContainText('−1 removed');

  // The theme follows the OS.
  const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  expect(await bg()).toBe('rgb(255, 255, 255)');
  await page.emulateMedia({ colorScheme: 'dark' });
  expect(await bg()).toBe('rgb(22, 24, 29)'); // #16181d
  await shot(page, 'compare-dark');
});
