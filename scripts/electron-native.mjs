// better-sqlite3 for Electron's ABI, beside the Node build: tests, the CLI and `hallmark serve` keep
// using node_modules as installed (Node's ABI), while the Electron app loads this copy through
// better-sqlite3's `nativeBinding` option (native/Database.ts, HALLMARK_SQLITE_BINDING set by
// electron/main). onnxruntime-node and node-llama-cpp are N-API addons: one build loads in both.
//
// Route: prebuild-install (what better-sqlite3's own install runs) with --runtime electron fetches the
// published prebuilt for this Electron version; without it, @electron/rebuild compiles from source.
// Output: out/electron-native/better_sqlite3.node + stamp.json. Exit 0 when ready, 1 with the reason.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'out', 'electron-native');
const target = path.join(outDir, 'better_sqlite3.node');
const stampFile = path.join(outDir, 'stamp.json');

const electronVersion = require('electron/package.json').version;
const sqliteDir = path.dirname(require.resolve('better-sqlite3/package.json'));
const sqliteVersion = JSON.parse(fs.readFileSync(path.join(sqliteDir, 'package.json'), 'utf8')).version;
const want = { electron: electronVersion, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch };

export function electronNativeReady() {
  try {
    return fs.existsSync(target) && JSON.stringify(JSON.parse(fs.readFileSync(stampFile, 'utf8'))) === JSON.stringify(want);
  } catch {
    return false;
  }
}

function viaPrebuild() {
  // prebuild-install writes into <path>/build/Release: give it a scratch copy of the package manifest.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-electron-native-'));
  try {
    fs.copyFileSync(path.join(sqliteDir, 'package.json'), path.join(tmp, 'package.json'));
    const bin = require.resolve('prebuild-install/bin.js');
    const r = spawnSync(process.execPath, [bin, '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch, '--platform', process.platform, '--path', tmp, '--verbose'],
      { cwd: tmp, encoding: 'utf8' });
    const built = path.join(tmp, 'build', 'Release', 'better_sqlite3.node');
    if (r.status === 0 && fs.existsSync(built)) {
      fs.copyFileSync(built, target);
      return null;
    }
    return (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').filter(Boolean).slice(-2).join(' ');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function viaElectronRebuild() {
  // Compiles a scratch copy from source (needs Python and a C++ toolchain); never touches node_modules.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-electron-rebuild-'));
  try {
    // Without its build/: the Node build there must not pass for the Electron one.
    fs.cpSync(sqliteDir, path.join(tmp, 'node_modules', 'better-sqlite3'), { recursive: true, filter: (src) => !src.startsWith(path.join(sqliteDir, 'build')) });
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'x', version: '1.0.0', dependencies: { 'better-sqlite3': sqliteVersion } }));
    const r = spawnSync('npx', ['--yes', '@electron/rebuild@4', '--version', electronVersion, '--module-dir', tmp, '--only', 'better-sqlite3', '--force'], { cwd: tmp, encoding: 'utf8' });
    const built = path.join(tmp, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    if (r.status === 0 && fs.existsSync(built)) {
      fs.copyFileSync(built, target);
      return null;
    }
    return (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n').filter(Boolean).slice(-2).join(' ');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Why `file` is not a build for Electron's ABI, or null. With the Electron binary installed it is loaded
 * there (ELECTRON_RUN_AS_NODE, as VS Code runs Node code in Electron); without it, a file this Node can
 * load is the Node build, which Electron would refuse.
 */
function abiProblem(file) {
  let bin = null;
  try {
    const p = require('electron');
    if (typeof p === 'string' && fs.existsSync(p)) bin = p;
  } catch {
    // no binary: the Node check below
  }
  const probe = `require(${JSON.stringify(file)})`;
  if (bin) {
    const r = spawnSync(bin, ['-e', probe], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' });
    return r.status === 0 ? null : `Electron cannot load it: ${(r.stderr || '').trim().split('\n')[0]}`;
  }
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8' });
  return r.status === 0 ? `it is a build for Node ${process.versions.node} (ABI ${process.versions.modules}), not Electron ${electronVersion}` : null;
}

/** Returns null when out/electron-native holds a build for this Electron, else why it could not get one. */
export function ensureElectronNative() {
  if (electronNativeReady()) return null;
  fs.mkdirSync(outDir, { recursive: true });
  let prebuilt = viaPrebuild();
  if (prebuilt === null) prebuilt = abiProblem(target);
  if (prebuilt === null) {
    fs.writeFileSync(stampFile, JSON.stringify(want));
    return null;
  }
  fs.rmSync(target, { force: true });
  if (process.env.HALLMARK_NO_COMPILE === '1') return `no prebuilt better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (${prebuilt})`;
  let compiled = viaElectronRebuild();
  if (compiled === null) compiled = abiProblem(target);
  if (compiled === null) {
    fs.writeFileSync(stampFile, JSON.stringify(want));
    return null;
  }
  fs.rmSync(target, { force: true });
  return `could not get better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}: no prebuilt (${prebuilt}), and compiling failed (${compiled})`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const why = ensureElectronNative();
  if (why) {
    console.error(`electron-native: ${why}`);
    process.exit(1);
  }
  console.log(`electron-native: ${path.relative(root, target)} ready for Electron ${electronVersion}`);
}
