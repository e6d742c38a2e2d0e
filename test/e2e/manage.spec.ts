// Editing a model and the error states: a bad tag (quoted back), a bad metric, a missing model;
// then export to a path and delete with typed confirmation.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, shot } from './fixtures';
import { writeModel } from './files';

test('edit tags, description and metrics; bad input is quoted back; a missing model says so', async ({ page, hallmark }) => {
  const f = writeModel(hallmark.work, 'churn-model.safetensors', 64, 9);
  expect((await hallmark.cli('import', f.path, '--json')).code).toBe(0);
  await hallmark.open(page, '#/models/churn-model');
  await expect(page.getByRole('heading', { level: 1, name: 'churn-model' })).toBeVisible();

  // A bad tag: the error names the value and the rule; nothing is saved.
  const tagInput = page.getByRole('textbox', { name: 'Add tag' });
  await tagInput.fill('Bad Tag!');
  await page.getByRole('button', { name: 'Add', exact: true }).click();
  const err = page.locator('#tag-error');
  await expect(err).toHaveText('Invalid tag "Bad Tag!": tags are 1-64 chars of a-z 0-9 . _ : / -');
  await expect(tagInput).toHaveAttribute('aria-invalid', 'true');
  await shot(page, 'error-bad-tag');

  // A good one saves, lower-cased, and shows up in the list's chips.
  await tagInput.fill('Churn');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('list', { name: 'Tags' })).toContainText('churn');
  await expect(err).toBeHidden();
  await page.getByRole('button', { name: 'Remove tag churn' }).click();
  await expect(page.getByRole('list', { name: 'Tags' })).toContainText('No tags');

  // Description.
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByRole('textbox', { name: 'Description' }).fill('Predicts churn from 12 account features.');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Predicts churn from 12 account features.')).toBeVisible();

  // Metrics: a non-number is refused with the value quoted; a number is recorded.
  await page.getByRole('textbox', { name: 'Metric name' }).fill('auc');
  await page.getByRole('textbox', { name: 'Metric value' }).fill('high');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'metric value "high" is not a finite number' })).toBeVisible();
  await page.getByRole('textbox', { name: 'Metric value' }).fill('0.87');
  await page.getByRole('button', { name: 'Set', exact: true }).click();
  await expect(page.getByRole('table', { name: 'Metrics of v1' })).toContainText('0.87');
  const v = (await hallmark.cli('versions', 'churn-model', '--json')).json<Array<{ metrics: Record<string, number> }>>();
  expect(v[0]!.metrics).toEqual({ auc: 0.87 });

  // A safetensors file cannot be run: Run, Monitoring and Audits are disabled with the reason, and opening
  // them says so instead of failing.
  await expect(page.getByRole('tab', { name: 'Run' })).toHaveAttribute('aria-disabled', 'true');
  await expect(page.getByRole('tab', { name: 'Audits' })).toHaveAttribute('title', /Audits ask a GGUF language model/);
  await page.getByRole('tab', { name: 'Run' }).click({ force: true });
  await expect(page.getByText('Run does not apply to this version')).toBeVisible();
  await expect(page.getByText(/Nothing to run: Hallmark runs GGUF and ONNX models; this version is .*\.safetensors/)).toBeVisible();
  await page.getByRole('tab', { name: 'Monitoring' }).click({ force: true });
  await expect(page.getByText('Monitoring does not apply to this version')).toBeVisible();

  // A model that does not exist: the name is quoted, with the way back.
  await page.goto(`${hallmark.url.split('?')[0]}#/models/no-such-model`);
  await expect(page.getByRole('alert')).toContainText('No model named "no-such-model"');
  await expect(page.getByRole('alert')).toContainText('not_found');
  await shot(page, 'error-missing-model');
});

test('export writes a zip; delete needs the exact name typed', async ({ page, hallmark }) => {
  const a = writeModel(path.join(hallmark.work, 'a'), 'm.safetensors', 64, 1);
  const b = writeModel(path.join(hallmark.work, 'b'), 'm.safetensors', 64, 2);
  expect((await hallmark.cli('import', a.path, '--name', 'detector', '--json')).code).toBe(0);
  expect((await hallmark.cli('import', b.path, '--name', 'detector', '--json')).code).toBe(0);

  await hallmark.open(page, '#/models/detector/export');
  const out = path.join(hallmark.work, 'out', 'detector-v2.zip');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.getByRole('textbox', { name: 'Export to path' }).fill(out);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: `Wrote ${out}` })).toBeVisible();
  expect(fs.statSync(out).size).toBeGreaterThan(a.size);
  await shot(page, 'export');

  // Delete v2: the button stays disabled until "detector@2" is typed.
  await page.getByRole('button', { name: 'Delete…' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete detector@2?' });
  await expect(dialog).toBeVisible();
  const confirm = dialog.getByRole('textbox');
  const del = dialog.getByRole('button', { name: 'Delete v2' });
  await confirm.fill('detector');
  await expect(del).toBeDisabled();
  await shot(page, 'delete-dialog');
  await confirm.fill('detector@2');
  await del.click();
  await expect(page.getByRole('status').filter({ hasText: 'Deleted detector@2' })).toBeVisible();
  await expect(page.getByRole('combobox', { name: 'Version' })).toHaveValue('1');

  // Then the whole model (only one version left: the dialog asks for the model name).
  await page.getByRole('button', { name: 'Delete…' }).click();
  await page.getByRole('alertdialog').getByRole('textbox').fill('detector');
  await page.getByRole('alertdialog').getByRole('button', { name: 'Delete model' }).click();
  await expect(page.getByTestId('empty-state')).toBeVisible();
  expect((await hallmark.cli('list', '--json')).json<unknown[]>()).toEqual([]);
});
