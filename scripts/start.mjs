// `npm start`: the Electron app, with its binary installed the normal way (electron's own installer);
// browser mode (the local bridge serving the renderer: open the printed URL) only when the window
// cannot be had, saying why: HALLMARK_BROWSER=1, no display, the binary could not be downloaded, or no
// better-sqlite3 build for Electron's ABI could be fetched or compiled (scripts/electron-native.mjs).
import { existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { ensureElectronNative } from './electron-native.mjs';

const require = createRequire(import.meta.url);
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
const browserOnly = process.env.HALLMARK_BROWSER === '1';

// Skip only what this script never needs; Electron's binary downloads unless browser mode was asked for.
if (!existsSync('node_modules')) {
  run('npm', ['ci'], { env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip', PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', ...(browserOnly ? { ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } : {}) } });
}
run('npm', ['run', 'build']);

function electronBinary() {
  try {
    // require('electron') is the binary's path, or throws when it was never downloaded.
    const p = require('electron');
    return typeof p === 'string' && existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

/** The Electron binary, downloading it now when the install skipped it; else the reason. */
function getElectron() {
  let bin = electronBinary();
  if (bin) return { bin };
  console.log('Electron binary missing (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1?): downloading it…');
  const r = spawnSync(process.execPath, [require.resolve('electron/install.js')], { encoding: 'utf8', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' } });
  bin = electronBinary();
  if (bin) return { bin };
  const lines = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
  // The error line ("RequestError: getaddrinfo ENOTFOUND github.com"), not the stack below it.
  const last = (lines.find((l) => /Error\b|E[A-Z]{4,}/.test(l) && !l.startsWith('at ')) ?? lines.at(-1) ?? `exit ${r.status}`).replace(/^.*?(\w*Error:)/, '$1');
  return { why: `the Electron binary could not be downloaded (${last}); check the network or set ELECTRON_MIRROR, then run npm start again` };
}

function whyNoWindow() {
  if (browserOnly) return 'HALLMARK_BROWSER=1';
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return 'no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return null;
}

function browserMode(why) {
  console.log(`Starting browser mode: ${why}.`);
  const child = spawn(process.execPath, ['bin/hallmark.js', 'serve', '--port', process.env.PORT ?? '0'], { stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
  child.on('exit', (code) => process.exit(code ?? 0));
}

const noWindow = whyNoWindow();
if (noWindow) browserMode(noWindow);
else {
  const e = getElectron();
  const native = e.bin ? ensureElectronNative() : null;
  if (!e.bin) browserMode(e.why);
  else if (native) browserMode(`${native}; the app needs it to open the registry in Electron`);
  else {
    const child = spawn(e.bin, ['.'], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
  }
}
