// The packaged window itself: runs only where an Electron binary is installed (CI installs with
// ELECTRON_SKIP_BINARY_DOWNLOAD=1, so there the renderer is covered in browser mode instead).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { _electron as electron, expect, test } from '@playwright/test';

const require = createRequire(import.meta.url);
function electronBinary(): string | null {
  try {
    const p = require('electron') as unknown;
    return typeof p === 'string' && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

const bin = electronBinary();
// A packaged build (dist/linux-unpacked/hallmark…) when HALLMARK_PACKAGED names it; else the app in `.`.
const packaged = process.env.HALLMARK_PACKAGED && fs.existsSync(process.env.HALLMARK_PACKAGED) ? process.env.HALLMARK_PACKAGED : null;
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;

test.describe('Electron window', () => {
  test.skip(noDisplay, 'no display: run it under Xvfb (npm run smoke:electron does)');
  test.skip(!bin && !packaged, 'no Electron binary installed (ELECTRON_SKIP_BINARY_DOWNLOAD=1): run `npx electron --version` after `node node_modules/electron/install.js` to enable; browser-mode tests cover the renderer');

  test('opens sandboxed, with the preload API and no Node in the page', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-electron-'));
    const app = await electron.launch({ executablePath: packaged ?? bin!, args: packaged ? [] : ['.'], env: { ...process.env, HALLMARK_HOME: home } });
    try {
      const page = await app.firstWindow();
      await expect(page.getByText('Models').first()).toBeVisible();
      // The registry opened in Electron's ABI (better-sqlite3 from out/electron-native): the list answers.
      await expect(page.getByTestId('empty-state')).toBeVisible();
      fs.mkdirSync(path.join('test-results', 'screenshots'), { recursive: true });
      await page.screenshot({ path: path.join('test-results', 'screenshots', `electron-window${packaged ? '-packaged' : ''}.png`) });
      expect(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require)).toBe('undefined');
      expect(await page.evaluate(() => typeof (window as unknown as { hallmark?: { call?: unknown } }).hallmark?.call)).toBe('function');
      // contextIsolation + sandbox: the page sees neither Node's process nor the preload's scope.
      expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      const csp = await page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '');
      expect(csp).toContain("default-src 'self'");
    } finally {
      await app.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
