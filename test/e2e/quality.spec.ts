// Issue 13 (quality part) in the browser: the operating mode in the status bar (maintenance refuses an
// import with a message saying how to leave it), the Health card, hourly monitoring plots, and the Data
// quality panel showing a drifted column. Screenshots at 1440×900 under test-results/screenshots/.
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Locator } from '@playwright/test';
import { test, expect, shot } from './fixtures';
import { writeModel } from './files';
import { writeLinearOnnx } from '../fixtures/onnx/writeOnnx';
import { rows, toCsv } from '../services/quality/synthetic';

test.use({ viewport: { width: 1440, height: 900 } });

/** Scrolls the tab panel (the page's own scroller) so `loc` is at its top; scrollIntoView would also shift the app frame. */
async function scrollPanelTo(loc: Locator): Promise<void> {
  await loc.evaluate((el) => {
    const panel = el.closest('.tabpanel');
    if (panel) panel.scrollTop += el.getBoundingClientRect().top - panel.getBoundingClientRect().top - 8;
  });
}

test('maintenance mode from the status bar refuses an import with how to leave it; inference allows it again', async ({ page, hallmark }) => {
  await hallmark.open(page);
  const seg = page.getByTestId('status-mode');
  await expect(seg).toHaveText(/Inference mode/);
  await seg.click();
  await page.getByRole('menuitemradio', { name: /Maintenance/ }).click();
  await expect(seg).toHaveText(/Maintenance mode · imports and jobs paused/);
  await expect(page.getByTestId('maintenance-banner')).toContainText('new jobs, imports and model runs are refused');
  expect((await hallmark.cli('mode', '--json')).json<{ mode: string }>().mode).toBe('maintenance');

  const f = writeModel(hallmark.work, 'blocked.safetensors', 256, 1);
  await page.getByTestId('import-input').setInputFiles(f.path);
  await expect(page.getByText(/maintenance mode: new jobs and imports are paused/).first()).toBeVisible();
  await shot(page, 'quality-maintenance-import-refused');
  expect((await hallmark.cli('list', '--json')).json<unknown[]>()).toEqual([]);

  // The CLI switches back; the status bar follows (it polls), and the import goes through.
  expect((await hallmark.cli('mode', 'inference')).code).toBe(0);
  await expect(seg).toHaveText(/Inference mode/, { timeout: 15_000 });
  await expect(page.getByTestId('maintenance-banner')).toHaveCount(0);
  await page.getByTestId('import-input').setInputFiles(f.path);
  await expect(page.getByRole('status').filter({ hasText: 'Imported blocked@1' })).toBeVisible();
});

test('Settings shows the Health card and the mode', async ({ page, hallmark }) => {
  await hallmark.open(page, '#/settings');
  const list = page.getByRole('list', { name: 'Health checks' });
  await expect(list).toContainText('Database');
  await expect(list).toContainText('WAL journal, integrity ok');
  await expect(list).toContainText('Disk');
  await expect(list).toContainText('GPU');
  await expect(page.getByTestId('health-overall')).toHaveText(/Healthy|Degraded|Unhealthy/);
  await page.getByRole('radio', { name: /Training/ }).click();
  await expect(page.getByRole('radio', { name: /Training/ })).toBeChecked();
  await expect(page.getByTestId('status-mode')).toHaveText(/Training mode · model runs paused/);
  await shot(page, 'quality-settings-health');
  await page.getByRole('radio', { name: /Inference/ }).click();
  await expect(page.getByTestId('status-mode')).toHaveText(/Inference mode/);
});

test('Monitoring: hourly plots with drift, and the Data quality panel flags a drifted column', async ({ page, hallmark }) => {
  const onnx = writeLinearOnnx(path.join(hallmark.work, 'tab.onnx'), { weight: [[1, 0], [0, 2], [1, 1]], bias: [0.5, -0.5] });
  expect((await hallmark.cli('import', onnx, '--json')).code).toBe(0);
  await hallmark.call('run.onnx', { model: { name: 'tab', version: 1 }, inputs: { x: [[1, 2, 3]] } });

  // Six hours of history straight into the log (as a batch runner would have written it): the class mix
  // flips in the last two hours.
  const db = new BetterSqlite3(path.join(hallmark.home, 'hallmark.db'));
  try {
    const v = db.prepare(`SELECT v.id, p.model_key, p.model_path FROM predictions p JOIN versions v ON v.id = p.version_id LIMIT 1`).get() as { id: number; model_key: string; model_path: string };
    const ins = db.prepare(`INSERT INTO predictions (model_key, version_id, model_path, format, method, created_at, latency_ms, inputs_hash, error) VALUES (?, ?, ?, 'onnx', 'onnx', ?, ?, 'h', ?)`);
    const out = db.prepare(`INSERT INTO prediction_outputs (prediction_id, output_label) VALUES (?, ?)`);
    const start = Math.floor(Date.now() / 3600_000) * 3600_000 - 6 * 3600_000;
    let s = 7;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    db.transaction(() => {
      for (let h = 0; h < 6; h++) {
        for (let i = 0; i < 120; i++) {
          const late = h >= 4;
          const label = rand() < (late ? 0.25 : 0.7) ? 'approve' : 'reject';
          const r = ins.run(v.model_key, v.id, v.model_path, new Date(start + h * 3600_000 + i * 25_000).toISOString(), (late ? 9 : 4) + 3 * rand(), late && rand() < 0.08 ? 'failed' : null);
          out.run(Number(r.lastInsertRowid), label);
        }
      }
    })();
  } finally {
    db.close();
  }

  const train = path.join(hallmark.work, 'train.csv');
  fs.writeFileSync(train, toCsv(rows(3000, 1)));
  const drifted = path.join(hallmark.work, 'incoming.csv');
  fs.writeFileSync(drifted, toCsv(rows(1500, 2, { ageShift: 6, newCity: 0.15 })));

  await hallmark.open(page, '#/models/tab/monitoring');
  await expect(page.getByRole('heading', { name: 'Hour by hour' })).toBeVisible();
  await expect(page.getByTestId('hourly-drift')).toContainText('Prediction drift in');
  await expect(page.getByRole('list', { name: 'Latency percentiles per hour legend' })).toContainText('p99');
  await expect(page.getByRole('list', { name: 'Error rate per hour legend' })).toContainText('error rate');
  await expect(page.getByRole('list', { name: /Prediction drift per hour .* legend/ })).toContainText('PSI');
  await scrollPanelTo(page.getByRole('heading', { name: 'Hour by hour' }));
  await shot(page, 'quality-monitoring-hourly');

  // Data quality: no baseline yet → save one from the training data, then check the drifted file.
  await expect(page.getByTestId('quality-baseline')).toContainText('No baseline for tab@1 yet');
  const input = page.getByRole('textbox', { name: 'Dataset path' });
  await input.fill(train);
  await page.getByRole('button', { name: 'Save as baseline' }).click();
  await expect(page.getByTestId('quality-baseline')).toContainText('Baseline: 3,000 rows × 5 columns');
  await input.fill(drifted);
  await page.getByRole('button', { name: 'Check data' }).click();
  const report = page.getByTestId('quality-report');
  await expect(report.getByRole('alert')).toContainText('Data quality:');
  const findings = page.getByRole('list', { name: 'Data quality findings' });
  await expect(findings).toContainText('the mean of column "age" moved');
  await expect(findings).toContainText('upstream pipeline for column "age"');
  await expect(findings).toContainText('"Atlantis"');
  const table = page.getByRole('table', { name: 'Columns against the baseline' });
  await expect(table.getByRole('row', { name: /^age / })).toContainText('alert');
  await expect(table.getByRole('row', { name: /^score / })).toContainText('ok');
  await scrollPanelTo(page.getByRole('heading', { name: 'Data quality' }));
  // The app frame itself never scrolls (an absolutely placed element once stretched the document).
  expect(await page.evaluate(() => document.documentElement.scrollTop)).toBe(0);
  await shot(page, 'quality-data-quality-panel');

  // A missing file is said plainly, with no crash.
  await input.fill(path.join(hallmark.work, 'nope.csv'));
  await page.getByRole('button', { name: 'Check data' }).click();
  await expect(page.getByText(/no such file/).first()).toBeVisible();
});
