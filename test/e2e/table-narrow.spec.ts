// The Models table at 1024×700: every column stays reachable (the table scrolls sideways inside its own
// box with the Name column pinned), and re-sorting keeps the selected model selected and in view,
// even when its new place is pages further down.
import { test, expect } from './fixtures';
import { seededName } from './seed';
import { views } from './views';

test.use({ seed: 600 });

test('narrow window: all columns reachable, Name pinned; re-sorting keeps the selection on the same model', async ({ page, hallmark }) => {
  await page.setViewportSize({ width: 1024, height: 700 });
  await hallmark.open(page);
  const grid = page.getByTestId('models-grid');
  await expect(page.getByTestId('models-count')).toHaveText('600');
  await views(page, 'models-table');
  await page.setViewportSize({ width: 1024, height: 700 });

  // Some columns are off to the right at 1024 px: the grid scrolls sideways to them, its header with it.
  const box = (await grid.boundingBox())!;
  expect(await grid.evaluate((el) => el.scrollWidth > el.clientWidth)).toBe(true);
  const updated = page.getByRole('columnheader', { name: 'Updated', exact: true });
  await grid.evaluate((el) => { el.scrollLeft = el.scrollWidth; });
  for (const label of ['Name', 'Scan', 'Signature', 'Audit', 'Updated']) {
    const h = (await page.getByRole('columnheader', { name: label, exact: true }).boundingBox())!;
    expect(h.x, label).toBeGreaterThanOrEqual(box.x - 1);
    expect(h.x + h.width, label).toBeLessThanOrEqual(box.x + box.width + 1);
  }
  await expect(updated.getByRole('button')).toBeVisible();
  // Header and rows scroll together: each header sits over its column.
  const firstRow = page.locator(`[role="row"][data-name="${seededName(600)}"]`);
  for (const [i, label] of [[4, 'Size'], [6, 'Scan'], [9, 'Updated']] as const) {
    const h = (await page.getByRole('columnheader', { name: label, exact: true }).boundingBox())!;
    const c = (await firstRow.getByRole('gridcell').nth(i).boundingBox())!;
    expect(Math.abs(h.x - c.x), label).toBeLessThanOrEqual(1);
    expect(Math.abs(h.width - c.width), label).toBeLessThanOrEqual(1);
  }
  // The Name cells stay pinned at the left edge while scrolled.
  const nameCell = page.locator(`[role="row"][data-name="${seededName(600)}"] .cell-name`);
  expect(Math.abs((await nameCell.boundingBox())!.x - box.x)).toBeLessThanOrEqual(1);
  await page.screenshot({ path: 'test-results/screenshots/experience/models-table-scrolled-1024.png' });
  await grid.evaluate((el) => { el.scrollLeft = 0; });

  // Select the 4th row (newest first: seed-model-000597) with the keyboard.
  await grid.focus();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowDown');
  const selected = page.locator('[role="row"][aria-selected="true"]');
  await expect(selected).toHaveAttribute('data-name', seededName(597));

  // Sort by name: 597 moves to row 597 (page 3 of the list), still selected and scrolled into view.
  await page.getByRole('columnheader', { name: 'Name', exact: true }).getByRole('button').click();
  await expect(page.getByRole('columnheader', { name: 'Name', exact: true })).toHaveAttribute('aria-sort', 'ascending');
  await expect(selected).toHaveAttribute('data-name', seededName(597));
  await expect(selected).toBeInViewport();
  await expect(grid).toHaveAttribute('aria-activedescendant', 'model-row-596');
  await page.screenshot({ path: 'test-results/screenshots/experience/models-resorted-selection-1024.png' });
  // And back (descending): row 4 again; the arrow keys continue from it.
  await page.getByRole('columnheader', { name: 'Name', exact: true }).getByRole('button').click();
  await expect(selected).toHaveAttribute('data-name', seededName(597));
  await expect(selected).toBeInViewport();
  await grid.focus();
  await page.keyboard.press('ArrowDown');
  await expect(selected).toHaveAttribute('data-name', seededName(596));
});
