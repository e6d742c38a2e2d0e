// Screenshots of one view at the three window sizes a new user tries (1024×700, 1440×900, 1920×1080),
// light and dark, under test-results/screenshots/experience/ (git-ignored artefacts, looked at by hand).
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { SHOTS } from './fixtures';

export const SIZES = [
  { width: 1024, height: 700 },
  { width: 1440, height: 900 },
  { width: 1920, height: 1080 },
] as const;

export async function views(page: Page, name: string): Promise<void> {
  const dir = path.join(SHOTS, 'experience');
  fs.mkdirSync(dir, { recursive: true });
  const before = page.viewportSize();
  for (const size of SIZES) {
    await page.setViewportSize(size);
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.screenshot({ path: path.join(dir, `${name}-${size.width}-${scheme}.png`) });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  if (before) await page.setViewportSize(before);
}
