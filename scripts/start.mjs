// `npm start`: the Electron app where an Electron binary is installed, otherwise browser mode
// (the local bridge serving the renderer; open the printed URL).
import { existsSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

if (!existsSync('node_modules')) run('npm', ['ci'], { env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', ONNXRUNTIME_NODE_INSTALL: 'skip', PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' } });
run('npm', ['run', 'build']);

let electronBinary = null;
try {
  const p = require('electron');
  if (typeof p === 'string' && existsSync(p)) electronBinary = p;
} catch {
  // no electron package or no binary
}

if (electronBinary && process.env.HALLMARK_BROWSER !== '1') {
  const child = spawn(electronBinary, ['.'], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log('No Electron binary here (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1?): starting browser mode.');
  const child = spawn(process.execPath, ['bin/hallmark.js', 'serve', '--port', process.env.PORT ?? '0'], { stdio: 'inherit' });
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
  child.on('exit', (code) => process.exit(code ?? 0));
}
