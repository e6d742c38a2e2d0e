// Monitoring with few points: legend values shown under each chart, and the version is picked (with each
// version's prediction count) instead of jumping to the newest, which has none.
import path from 'node:path';
import { test, expect } from './fixtures';
import { writeLinearOnnx } from '../fixtures/onnx/writeOnnx';
import { views } from './views';

test('monitoring reads well with two predictions, and the user picks the version that has them', async ({ page, hallmark }) => {
  const f = path.join(hallmark.work, 'linear.onnx');
  writeLinearOnnx(f, { weight: [[1, 0], [0, 2], [1, 1]], bias: [0.5, -0.5] });
  expect((await hallmark.cli('import', f, '--json')).code).toBe(0);
  for (let i = 0; i < 2; i++) await hallmark.call('run.onnx', { model: { name: 'linear', version: 1 }, inputs: { x: [[1, 2, 3]] } });
  writeLinearOnnx(f, { weight: [[2, 0], [0, 2], [1, 1]], bias: [0.5, -0.5] });
  expect((await hallmark.cli('import', f, '--json')).code).toBe(0);

  await hallmark.open(page, '#/models/linear/monitoring');
  await expect(page.getByText('No predictions recorded for linear@2')).toBeVisible();
  const picker = page.getByRole('combobox', { name: 'Monitored version' });
  await expect(picker.locator('option', { hasText: 'v1 · 2 predictions' })).toHaveCount(1);
  await picker.selectOption('1');
  await expect(page.getByText('2 predictions on v1')).toBeVisible();
  const legend = page.getByRole('list', { name: 'Latency legend' });
  await expect(legend).toContainText(/mean \d/);
  await expect(legend).toContainText('latest');
  await expect(page.getByRole('list', { name: 'Predictions and errors legend' })).toContainText(/predictions \d/);
  await views(page, 'monitoring-few-points');
});
