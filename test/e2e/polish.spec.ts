// The screens of /work/shared/ui.md for what exists today: every Models column (params, scan verdict,
// signature, audit) sortable, the scan-verdict chips, the lineage graph, Compare's scan/audit diff,
// Scans filtered by model with arrows/Esc and links both ways, the Evaluate empty state; light and dark.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { isMethod } from '../../electron/contract/index';
import { test, expect, shot } from './fixtures';
import { evilPickle, writeModel } from './files';

test.skip(!isMethod('scan.list'), 'the scan calls are not in the contract of this build');

const rows = (page: Page) => page.locator('[role="row"][data-name]');
const row = (page: Page, name: string) => page.locator(`[role="row"][data-name="${name}"]`);

async function both(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light' });
  await shot(page, name);
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

test('models columns, verdict chips, sorting, lineage, compare scan diff, scans by model', async ({ page, hallmark }) => {
  // clean-net v1: safetensors; v2: new weights plus a pickle that runs code on load.
  const v1 = path.join(hallmark.work, 'v1');
  const v2 = path.join(hallmark.work, 'v2');
  writeModel(v1, 'weights.safetensors', 4096, 1);
  writeModel(v2, 'weights.safetensors', 4096, 2);
  fs.writeFileSync(path.join(v2, 'loader.pkl'), evilPickle());
  fs.mkdirSync(path.join(v2, 'tokenizer'));
  fs.writeFileSync(path.join(v2, 'tokenizer', 'vocab.json'), '{"a": 0, "b": 1}\n');
  const evil = path.join(hallmark.work, 'evil-model.pkl');
  fs.writeFileSync(evil, evilPickle());
  const small = writeModel(hallmark.work, 'tiny-mlp.safetensors', 64, 3);
  for (const args of [[v1, '--name', 'clean-net', '--metrics', '{"accuracy":0.9}'], [v2, '--name', 'clean-net', '--metrics', '{"accuracy":0.93}'], [evil], [small.path]]) {
    const r = await hallmark.cli('import', ...args, '--json');
    expect(r.code, r.stderr).toBe(0);
  }

  await hallmark.open(page);
  await expect(rows(page)).toHaveCount(3);
  for (const label of ['Name', 'Latest', 'Stage', 'Format', 'Size', 'Params', 'Scan', 'Signature', 'Audit', 'Updated']) {
    await expect(page.getByRole('columnheader', { name: label, exact: true }).getByRole('button')).toBeVisible();
  }
  await expect(row(page, 'evil-model')).toContainText('findings');
  await expect(row(page, 'evil-model')).toContainText('unsigned');
  await expect(row(page, 'tiny-mlp')).toContainText('clean');
  await expect(row(page, 'tiny-mlp')).toContainText('64');
  await expect(row(page, 'clean-net')).toContainText('4.1K');
  await both(page, 'models-columns');

  // Sort by the Scan column (riskiest first), then by Params (biggest first).
  const scanHead = page.getByRole('columnheader', { name: 'Scan', exact: true });
  await scanHead.getByRole('button').click();
  await expect(scanHead).toHaveAttribute('aria-sort', 'descending');
  await expect(rows(page).last()).toHaveAttribute('data-name', 'tiny-mlp');
  const paramsHead = page.getByRole('columnheader', { name: 'Params', exact: true });
  await paramsHead.getByRole('button').click();
  await expect(paramsHead).toHaveAttribute('aria-sort', 'descending');
  await expect(rows(page).first()).toHaveAttribute('data-name', 'clean-net');

  // Scan-verdict chips.
  const scanChips = page.getByRole('group', { name: 'Scan filter' });
  await scanChips.getByRole('button', { name: /^findings/ }).click();
  await expect(rows(page)).toHaveCount(2);
  await expect(page.getByTestId('models-count')).toHaveText('2 matching');
  await shot(page, 'models-verdict-filter');
  await scanChips.getByRole('button', { name: /^clean/ }).click();
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute('data-name', 'tiny-mlp');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(rows(page)).toHaveCount(3);

  // Overview: the lineage graph links v1 → v2; Runs links to the version's scans.
  await row(page, 'clean-net').click();
  const graph = page.getByTestId('lineage-graph');
  await expect(graph).toBeVisible();
  await expect(graph.locator('[data-edge="v1->v2"]')).toHaveCount(1);
  await expect(graph.getByRole('link', { name: /^v1, first version/ })).toBeVisible();
  await expect(graph.getByRole('link', { name: /^v2, made from v1/ })).toHaveAttribute('aria-current', 'true');
  await expect(page.getByTestId('runs-card')).toBeVisible();
  await expect(page.locator('.props')).toContainText('4.1K');
  await both(page, 'overview-lineage');

  // Files: a tree with sizes and hashes, driven by the keyboard.
  await page.getByRole('tab', { name: 'Files' }).click();
  const tree = page.getByRole('treegrid', { name: 'Files of clean-net@2' });
  const folder = tree.locator('tr[data-path="tokenizer"]');
  await expect(folder).toHaveAttribute('aria-expanded', 'true');
  await expect(tree.locator('tr[data-path="tokenizer/vocab.json"]')).toContainText(/[0-9a-f]{64}/);
  await folder.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(folder).toHaveAttribute('aria-expanded', 'false');
  await expect(tree.locator('tr[data-path="tokenizer/vocab.json"]')).toHaveCount(0);
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await expect(tree.locator('tr[data-path="tokenizer/vocab.json"]')).toBeFocused();
  await both(page, 'files-tree');

  // Compare: scan verdicts of both sides and the findings that v2 added.
  await page.getByRole('tab', { name: 'Compare' }).click();
  const sec = page.getByTestId('compare-security');
  await expect(sec).toContainText('v1 scan');
  await expect(sec.getByRole('list', { name: 'New in v2' })).toContainText('loader.pkl');
  await expect(sec).toContainText('never audited');
  await sec.scrollIntoViewIfNeeded();
  await both(page, 'compare-security');

  // Security tab → the Scans list filtered to this model; arrows move, Enter/Esc open and close the
  // detail pane; the target links back to the version.
  await page.getByRole('tab', { name: 'Security' }).click();
  await page.getByRole('link', { name: 'All scans of clean-net' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Scans' })).toBeVisible();
  await expect(page.getByRole('searchbox', { name: 'Filter scans by model name' })).toHaveValue('clean-net');
  const table = page.getByRole('table', { name: 'Scans' });
  await expect(table.getByRole('row')).toHaveCount(3);
  await expect(table).not.toContainText('evil-model');
  // Newest first: v2 above v1.
  await expect(table.getByRole('row').nth(1)).toContainText('clean-net@2');
  await table.getByRole('row').nth(1).focus();
  await page.keyboard.press('ArrowDown');
  await expect(table.getByRole('row').nth(2)).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('region', { name: 'Scan detail' })).toContainText('clean-net@1');
  await both(page, 'scans-by-model');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('region', { name: 'Scan detail' })).toBeHidden();
  // ⌘F / Ctrl+F focuses this list's filter.
  await page.keyboard.press('Control+f');
  await expect(page.getByRole('searchbox', { name: 'Filter scans by model name' })).toBeFocused();
  await table.getByRole('link', { name: 'clean-net@2' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'clean-net' })).toBeVisible();
  await expect(page.getByRole('tab', { name: 'Security' })).toHaveAttribute('aria-selected', 'true');

  // A filter that matches nothing says so and offers the way out.
  await page.goto(`${hallmark.url.split('?')[0]}#/scans?model=no-such-model`);
  await expect(page.getByTestId('scans-no-match')).toContainText('"no-such-model"');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(table.getByRole('row')).toHaveCount(5);

  // Incidents is built: its empty state says what to do.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Incidents' }).click();
  await expect(page.getByTestId('incidents-empty')).toContainText('No incidents yet');
  // Training is built: its empty history says what to do.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Training' }).click();
  await expect(page.getByText('No embeds yet')).toBeVisible();
  // Evaluate is built: its empty state says what to do.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Evaluate' }).click();
  await expect(page.getByLabel('No runs yet')).toContainText('No evaluation runs yet');
  await both(page, 'evaluate-empty-state');
});
