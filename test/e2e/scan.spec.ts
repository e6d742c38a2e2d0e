// Security and Inspect from the UI: a pickle that runs code on load is flagged (Security tab,
// Models list, Scans view with SARIF export); an ONNX model's metadata shows in Inspect.
import fs from 'node:fs';
import path from 'node:path';
import { isMethod } from '../../electron/contract/index';
import { test, expect, shot } from './fixtures';
import { writeLinearOnnx } from '../fixtures/onnx/writeOnnx';

/** protocol-2 pickle: os.system("echo pwned") on load. */
function evilPickle(): Buffer {
  const arg = Buffer.from('echo pwned');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(arg.length);
  return Buffer.concat([Buffer.from('\x80\x02cos\nsystem\nq\x00X', 'latin1'), len, arg, Buffer.from('q\x01\x85q\x02Rq\x03.', 'latin1')]);
}

test.skip(!isMethod('scan.latest') || !isMethod('inspect.version'), 'the scan/inspect calls are not in the contract of this build');

test('a code-executing pickle is flagged; scans list, filter and export; Inspect shows ONNX metadata', async ({ page, hallmark }) => {
  const pkl = path.join(hallmark.work, 'evil-model.pkl');
  fs.writeFileSync(pkl, evilPickle());
  const onnx = writeLinearOnnx(path.join(hallmark.work, 'linear.onnx'), { weight: [[1, 0], [0, 2], [1, 1]], bias: [0.5, -0.5] });
  expect((await hallmark.cli('import', pkl, '--json')).code).toBe(0);
  expect((await hallmark.cli('import', onnx, '--json')).code).toBe(0);

  await hallmark.open(page, '#/models/evil-model/security');
  const detail = page.getByTestId('scan-detail');
  // Scanned on import; if this build does not, scan from the tab (after the tab has loaded).
  await expect(detail.or(page.getByText('has not been scanned'))).toBeVisible();
  if (!(await detail.isVisible())) {
    const scanNow = page.getByRole('button', { name: /Scan now|Scan again/ });
    if (await scanNow.isVisible()) await scanNow.click();
  }
  await expect(detail).toBeVisible();
  const findings = page.getByRole('table', { name: 'Findings' });
  await expect(findings).toContainText(/critical|high/);
  await expect(findings).toContainText('system');
  await findings.getByRole('row').nth(1).click();
  await expect(page.locator('.rule-help')).toBeVisible();
  await shot(page, 'security');

  // The Models list shows the verdict.
  await page.getByRole('link', { name: 'Models', exact: true }).first().click();
  await expect(page.locator('[role="row"][data-name="evil-model"]')).toContainText('findings');

  // Scans: filter by verdict, open the run, export SARIF.
  await page.getByRole('link', { name: 'Scans' }).click();
  await page.getByRole('combobox', { name: 'Verdict' }).selectOption('findings');
  const table = page.getByRole('table', { name: 'Scans' });
  await expect(table).toContainText('evil-model@1');
  await expect(table).not.toContainText('linear@1');
  await table.getByRole('row', { name: /evil-model@1/ }).first().click();
  await expect(page.getByTestId('scan-detail')).toBeVisible();
  await shot(page, 'scans');
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export SARIF' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/\.sarif$/);
  const sarif = JSON.parse(fs.readFileSync(await file.path(), 'utf8')) as { version: string };
  expect(sarif.version).toBe('2.1.0');

  // Inspect: ONNX inputs, outputs and operator histogram.
  await page.goto(`${hallmark.url.split('?')[0]}#/models/linear/inspect`);
  const insp = page.getByTestId('inspect');
  await expect(insp).toContainText('onnx');
  await expect(page.getByRole('table', { name: 'Inputs' })).toContainText('x');
  await expect(page.getByRole('list', { name: 'Op histogram' })).toContainText('MatMul');
  await shot(page, 'inspect');
});
