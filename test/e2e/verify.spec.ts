// Verify: a clean version passes; a file registered in place and changed on disk is reported.
import fs from 'node:fs';
import { test, expect, shot } from './fixtures';
import { sha256, writeModel } from './files';

test('verify passes, then reports the mismatch of a changed in-place file', async ({ page, hallmark }) => {
  const f = writeModel(hallmark.work, 'edge-detector.safetensors', 2048, 7);
  const imp = await hallmark.cli('import', f.path, '--in-place', '--json');
  expect(imp.code, imp.stderr).toBe(0);

  await hallmark.open(page, '#/models/edge-detector/files');
  await expect(page.getByText('registered in place at')).toBeVisible();
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(page.getByTestId('verify-ok')).toContainText('All 1 file match');

  // Change one byte of the file on disk.
  const b = fs.readFileSync(f.path);
  b[b.length - 1] = b[b.length - 1]! ^ 0xff;
  fs.writeFileSync(f.path, b);

  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  const mismatch = page.getByTestId('verify-mismatch');
  await expect(mismatch).toBeVisible();
  await expect(mismatch).toContainText('1 file no longer matches edge-detector@1');
  const row = mismatch.getByRole('row', { name: /edge-detector.safetensors/ });
  await expect(row).toContainText(f.sha256);
  await expect(row).toContainText(sha256(b));
  await expect(page.locator('tr[data-path="edge-detector.safetensors"]')).toContainText('changed');
  await expect(page.locator('.toolbar .integrity')).toContainText('changed');
  await shot(page, 'verify-mismatch');

  // The CLI agrees (exit code 1: the check found something).
  const v = await hallmark.cli('verify', 'edge-detector', '--json');
  expect(v.code).toBe(1);
});
