// Danger impossible to miss: importing a pickle that runs os.system says so in the toast, its pages carry a
// red banner, promoting and exporting it ask for confirmation naming the findings, Scans lists it first.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures';
import { evilPickle, writeModel } from './files';
import { views } from './views';

test('a critical pickle: danger toast, red banners, promote and export confirmations, Scans worst first', async ({ page, hallmark }) => {
  const evil = path.join(hallmark.work, 'crash.pkl');
  fs.writeFileSync(evil, evilPickle());
  const clean = writeModel(hallmark.work, 'tidy.safetensors', 128, 2);
  // The clean model is imported after the pickle, so "newest first" would list it above.
  await hallmark.open(page);
  await page.getByTestId('models-count').click();
  const chooserPromise = page.waitForEvent('filechooser');
  await page.keyboard.press('Control+o');
  await (await chooserPromise).setFiles(evil);
  const toast = page.getByRole('alert').filter({ hasText: 'Imported crash@1 with 1 critical finding' });
  await expect(toast).toBeVisible();
  await expect(toast).toContainText('Do not load it');
  await expect(toast).toContainText('os.system');
  await views(page, 'danger-import-toast');
  expect((await hallmark.cli('import', clean.path, '--json')).code).toBe(0);

  // Overview: red banner naming the finding; Promote to production asks first.
  await toast.getByRole('link', { name: 'Review' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'crash' })).toBeVisible();
  await page.getByRole('tab', { name: 'Overview' }).click();
  const banner = page.getByTestId('danger-banner');
  await expect(banner).toContainText('Do not load crash@1: its latest scan found 1 critical finding');
  await expect(banner).toContainText('pickle.dangerous-import');
  await views(page, 'danger-overview');
  await page.getByRole('button', { name: 'Promote to production' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('Promote to production crash@1 with 1 critical finding?');
  await expect(dialog).toContainText('os.system');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await views(page, 'danger-promote-confirm');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  expect((await hallmark.cli('versions', 'crash', '--json')).json<Array<{ stage: string }>>()[0]!.stage).toBe('none');
  await page.getByRole('button', { name: 'Promote to production' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Promote to production anyway' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'crash@1 → production' })).toBeVisible();
  expect((await hallmark.cli('versions', 'crash', '--json')).json<Array<{ stage: string }>>()[0]!.stage).toBe('production');

  // Run and Export carry the banner too; Export asks before writing the zip.
  await page.getByRole('tab', { name: 'Run' }).click({ force: true }); // disabled for a pickle, still reachable
  await expect(page.getByTestId('danger-banner')).toBeVisible();
  await views(page, 'danger-run');
  await page.getByRole('tab', { name: 'Export' }).click();
  await expect(page.getByTestId('danger-banner')).toBeVisible();
  const out = path.join(hallmark.work, 'crash-export.zip');
  await page.getByRole('textbox', { name: 'Export to path' }).fill(out);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(page.getByRole('alertdialog')).toContainText('Export crash@1 with 1 critical finding?');
  await page.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
  expect(fs.existsSync(out)).toBe(false);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Export anyway' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Wrote' })).toBeVisible();
  expect(fs.existsSync(out)).toBe(true);

  // A clean model has no banner.
  await page.goto(`${hallmark.url.split('?')[0]}#/models/tidy`);
  await expect(page.getByRole('heading', { level: 1, name: 'tidy' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Stage of v1' })).toBeVisible();
  await expect(page.getByTestId('danger-banner')).toHaveCount(0);

  // Scans: worst first by default, although the clean scan is newer.
  await page.getByRole('link', { name: 'Scans', exact: true }).first().click();
  const scanRows = page.getByRole('table', { name: 'Scans' }).locator('tbody tr');
  await expect(scanRows).toHaveCount(2);
  await expect(scanRows.first()).toContainText('crash@1');
  await views(page, 'danger-scans');
  await page.getByRole('combobox', { name: 'Sort scans' }).selectOption('newest');
  await expect(scanRows.first()).toContainText('tidy@1');
});

test('a finding reads like a code-scanning alert; Inspect flags the dangerous import', async ({ page, hallmark }) => {
  const evil = path.join(hallmark.work, 'crash.pkl');
  fs.writeFileSync(evil, evilPickle());
  expect((await hallmark.cli('import', evil, '--json')).code).toBe(0);
  await hallmark.open(page, '#/models/crash/security');
  const findings = page.getByRole('table', { name: 'Findings' });
  await expect(findings).toContainText('Pickle imports a dangerous callable');
  await findings.locator('tr.finding').first().click();
  const help = page.locator('.finding-help');
  await expect(help).toContainText('What happens if this file is loaded');
  await expect(help).toContainText('run shell commands');
  await expect(help.locator('dd').first()).toHaveText('os.system');
  await expect(help).toContainText('"echo pwned"');
  await expect(help).toContainText('torch.load(path, weights_only=True)');
  await expect(help).toContainText('safetensors');
  await help.getByText('Opcode detail').click();
  await expect(help).toContainText('REDUCE at byte');
  await views(page, 'finding-expanded');

  await page.getByRole('tab', { name: 'Inspect' }).click();
  const imports = page.getByRole('table', { name: 'Pickle imports' });
  await expect(page.locator('.imports-card')).toContainText('1 dangerous');
  await expect(imports.locator('tr.import-dangerous')).toContainText('os.system');
  await expect(imports).toContainText('critical');
  await views(page, 'inspect-imports');
});
