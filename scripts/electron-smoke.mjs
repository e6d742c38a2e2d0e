// Smoke test of the real window: launches the Electron app (unpackaged, or the packaged build named by
// HALLMARK_PACKAGED) under Xvfb when there is no display, and saves test-results/screenshots/
// electron-window*.png. Where the Electron binary is missing it says so and exits 0 (SKIPPED).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { ensureElectronNative } from './electron-native.mjs';

const require = createRequire(import.meta.url);
let bin = null;
try {
  const p = require('electron');
  if (typeof p === 'string' && fs.existsSync(p)) bin = p;
} catch {
  // reported below
}
const packaged = process.env.HALLMARK_PACKAGED;
if (!bin && !(packaged && fs.existsSync(packaged))) {
  console.log('electron smoke: SKIPPED: no Electron binary (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or offline); run `node node_modules/electron/install.js` to get it');
  process.exit(0);
}
if (!packaged) {
  const why = ensureElectronNative();
  if (why) {
    console.error(`electron smoke: FAILED: ${why}`);
    process.exit(1);
  }
}
const args = ['playwright', 'test', 'test/e2e/electron.spec.ts'];
const needsXvfb = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if (needsXvfb && spawnSync('which', ['xvfb-run']).status !== 0) {
  console.log('electron smoke: SKIPPED: no display and no xvfb-run (apt-get install xvfb)');
  process.exit(0);
}
const r = needsXvfb
  ? spawnSync('xvfb-run', ['-a', '-s', '-screen 0 1440x900x24', 'npx', ...args], { stdio: 'inherit' })
  : spawnSync('npx', args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
