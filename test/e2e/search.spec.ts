// Finding models: full-text search, filter chips, sorting, the no-match state, and the keyboard
// (⌘F, arrows/Enter in the list, Esc back, ⌘K palette, arrows in the tab bar).
import { test, expect, shot, type Hallmark } from './fixtures';
import { writeModel } from './files';

async function seedThree(h: Hallmark): Promise<void> {
  const specs: Array<[string, string[]]> = [
    ['sentiment-bert', ['--framework', 'huggingface', '--model-type', 'nlp', '--tag', 'nlp', '--tag', 'team:ml', '--description', 'Sentence polarity classifier']],
    ['fraud-xgb', ['--framework', 'xgboost', '--model-type', 'classification', '--tag', 'tabular']],
    ['vision-resnet', ['--framework', 'pytorch', '--model-type', 'computer_vision', '--tag', 'vision', '--tag', 'team:ml']],
  ];
  let seed = 20;
  for (const [name, args] of specs) {
    const f = writeModel(h.work, `${name}.safetensors`, 128, seed++);
    const r = await h.cli('import', f.path, '--name', name, ...args, '--json');
    expect(r.code, r.stderr).toBe(0);
  }
}

const rows = (page: import('@playwright/test').Page) => page.locator('[role="row"][data-name]');

test('search, filter chips, sorting and the no-match state', async ({ page, hallmark }) => {
  await seedThree(hallmark);
  await hallmark.open(page);
  await expect(rows(page)).toHaveCount(3);

  // Full-text search (debounced) matches names and descriptions.
  const filter = page.getByRole('searchbox', { name: 'Filter models' });
  await filter.fill('polarity');
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute('data-name', 'sentiment-bert');
  await expect(page.getByTestId('models-count')).toHaveText('1 matching');
  await filter.fill('');
  await expect(rows(page)).toHaveCount(3);

  // Chips from registry.facets.
  const tagChip = page.getByRole('group', { name: 'Tag filter' }).getByRole('button', { name: /^team:ml/ });
  await tagChip.click();
  await expect(tagChip).toHaveAttribute('aria-pressed', 'true');
  await expect(rows(page)).toHaveCount(2);
  await page.getByRole('group', { name: 'Framework filter' }).getByRole('button', { name: /^pytorch/ }).click();
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toHaveAttribute('data-name', 'vision-resnet');
  await shot(page, 'filtered');
  // Clear filters also clears the search text.
  await filter.fill('resnet');
  await expect(page.getByTestId('models-count')).toHaveText('1 matching');
  await page.getByRole('button', { name: 'Clear filters' }).click();
  await expect(filter).toHaveValue('');
  await expect(rows(page)).toHaveCount(3);

  // Sorting by the Name header: ascending, then descending.
  await page.getByRole('columnheader', { name: 'Name' }).getByRole('button').click();
  await expect(page.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'ascending');
  await expect(rows(page).first()).toHaveAttribute('data-name', 'fraud-xgb');
  await page.getByRole('columnheader', { name: 'Name' }).getByRole('button').click();
  await expect(page.getByRole('columnheader', { name: 'Name' })).toHaveAttribute('aria-sort', 'descending');
  await expect(rows(page).first()).toHaveAttribute('data-name', 'vision-resnet');

  // Nothing matches: say so, quote the query, offer the way out.
  await filter.fill('zzzz-nothing');
  await expect(page.getByTestId('no-match')).toContainText('No models match "zzzz-nothing"');
  await shot(page, 'no-match');
  await page.getByRole('button', { name: 'Clear search and filters' }).click();
  await expect(rows(page)).toHaveCount(3);
  await expect(filter).toHaveValue('');
});

test('keyboard: Ctrl+F, arrows and Enter in the list, Esc back, Ctrl+K palette, tab arrows', async ({ page, hallmark }) => {
  await seedThree(hallmark);
  await hallmark.open(page);
  await expect(rows(page)).toHaveCount(3);

  // Ctrl+F focuses the filter; ArrowDown moves into the list.
  await page.keyboard.press('Control+f');
  const filter = page.getByRole('searchbox', { name: 'Filter models' });
  await expect(filter).toBeFocused();
  await page.keyboard.press('ArrowDown');
  const grid = page.getByTestId('models-grid');
  await expect(grid).toBeFocused();
  const first = await rows(page).nth(0).getAttribute('data-name');
  const second = await rows(page).nth(1).getAttribute('data-name');
  await expect(rows(page).nth(0)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowDown');
  await expect(rows(page).nth(1)).toHaveAttribute('aria-selected', 'true');
  await shot(page, 'keyboard-list');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: second! })).toBeVisible();

  // Tabs: arrow keys move between them.
  await page.getByRole('tab', { name: 'Overview' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Files' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tab', { name: 'Files' })).toBeFocused();

  // Esc goes back to the list, focused, selection kept.
  await page.keyboard.press('Escape');
  await expect(grid).toBeFocused();
  await expect(rows(page).nth(1)).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: first! })).toBeVisible();

  // Ctrl+K: the palette jumps to a model by name.
  await page.keyboard.press('Control+k');
  const palette = page.getByRole('dialog', { name: 'Command palette' });
  await expect(palette).toBeVisible();
  await page.keyboard.type('fraud');
  await expect(palette.getByRole('option', { name: /fraud-xgb/ }).first()).toBeVisible();
  await shot(page, 'palette');
  await page.keyboard.press('Enter');
  await expect(palette).toBeHidden();
  await expect(page.getByRole('heading', { level: 1, name: 'fraud-xgb' })).toBeVisible();

  // The palette runs actions too; Esc closes it.
  await page.keyboard.press('Control+k');
  await page.keyboard.type('go to settings');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
  await page.keyboard.press('Control+k');
  await expect(palette).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(palette).toBeHidden();
});
