// ONNX: the pre-filled example runs on the first click (every input gets a zero tensor of its declared
// shape, the recurrent state included); tabs that do not apply to a pickle are disabled with the reason
// and nothing fails in the console.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect } from './fixtures';
import { evilPickle } from './files';
import { writeOnnx } from '../fixtures/onnx/writeOnnx';
import { views } from './views';

test('the ONNX example with a recurrent state input runs on the first click', async ({ page, hallmark }) => {
  // y = x · W; state_out = state + 1, with state: [2, batch, 64] (128 values: too many to type).
  const f = writeOnnx(path.join(hallmark.work, 'rnn-step.onnx'), {
    name: 'rnn-step',
    inputs: [{ name: 'x', shape: ['batch', 3] }, { name: 'state', shape: [2, 'batch', 64] }],
    outputs: [{ name: 'y', shape: ['batch', 2] }, { name: 'state_out', shape: [2, 'batch', 64] }],
    initializers: [{ name: 'W', dims: [3, 2], data: [1, 0, 0, 1, 1, 1] }, { name: 'one', dims: [1], data: [1] }],
    nodes: [
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['y'] },
      { op: 'Add', inputs: ['state', 'one'], outputs: ['state_out'] },
    ],
  });
  expect((await hallmark.cli('import', f, '--json')).code).toBe(0);
  const failures: string[] = [];
  page.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`); });
  await hallmark.open(page, '#/models/rnn-step/run');
  const inputs = page.getByRole('textbox', { name: 'Inputs as JSON' });
  await expect(inputs).toHaveValue(/"state": \{"dims":\[2,1,64\],"fill":0\}/);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const result = page.getByTestId('onnx-result');
  await expect(result).toContainText('state_out');
  await expect(result).toContainText('float32 [2 × 1 × 64]');
  await expect(result).toContainText('1, 1, 1');
  await views(page, 'onnx-first-click');
  expect(failures).toEqual([]);
});

test('a pickle: Run, Audits and Monitoring are disabled with the reason, and nothing fails', async ({ page, hallmark }) => {
  fs.writeFileSync(path.join(hallmark.work, 'weights.pkl'), evilPickle());
  expect((await hallmark.cli('import', path.join(hallmark.work, 'weights.pkl'), '--json')).code).toBe(0);
  const failures: string[] = [];
  page.on('response', (r) => { if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`); });
  page.on('console', (m) => { if (m.type() === 'error') failures.push(m.text()); });
  await hallmark.open(page, '#/models/weights');
  for (const [tab, reason] of [['Run', 'Nothing to run'], ['Audits', 'Audits ask a GGUF language model'], ['Monitoring', 'Monitoring charts the predictions']] as const) {
    const t = page.getByRole('tab', { name: tab });
    await expect(t).toHaveAttribute('aria-disabled', 'true');
    await expect(t).toHaveAttribute('title', new RegExp(reason));
    await t.click({ force: true }); // aria-disabled: Playwright would wait for it to enable
    await expect(page.getByText(`${tab} does not apply to this version`)).toBeVisible();
    await expect(page.getByRole('tabpanel')).toContainText(reason);
  }
  await views(page, 'pickle-tabs-disabled');
  expect(failures).toEqual([]);
});
