// Electron main: windows, menus, IPC wiring and safeStorage. The only code that imports `electron`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, safeStorage, session, shell } from 'electron';
import { CSP } from '../contract/csp';
import type { CallResult } from '../contract/index';
import { AppContext } from '../services/AppContext';
import { loadOrCreateAppSecret } from '../services/audit/appSecret';
import { appKey } from '../services/audit/FingerprintStore';
import { incidents } from '../services/incidents/IncidentService';
import { dispatch, toApiError } from '../services/api/index';
import { inspectAndScan } from '../services/scan/plugin';
import { checkSignatureOnImport } from '../services/signing/plugin';
import { ipcSenderProblem, type RendererSource } from './ipcOrigin';

const here = path.dirname(fileURLToPath(import.meta.url));
let ctx: AppContext | null = null;
/** What our windows load: IPC answers only frames showing exactly this. */
const rendererSource: RendererSource = {
  indexFile: path.join(here, '../renderer/index.html'),
  ...(process.env.ELECTRON_RENDERER_URL ? { devUrl: process.env.ELECTRON_RENDERER_URL } : {}),
};
const ourWindows = new Set<number>();

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 560,
    title: 'Hallmark',
    // Linux and Windows take the window icon from here; macOS uses the bundle's.
    icon: path.join(here, '../../resources/icons/hallmark.png'),
    show: false,
    webPreferences: {
      preload: path.join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  const id = win.webContents.id;
  ourWindows.add(id);
  win.on('closed', () => ourWindows.delete(id));
  win.once('ready-to-show', () => win.show());
  // The page never navigates away or opens windows; external links go to the OS browser.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  if (rendererSource.devUrl) void win.loadURL(rendererSource.devUrl);
  else void win.loadFile(rendererSource.indexFile);
  return win;
}

/**
 * Gives the services the app's fingerprint key, sealed by the OS keychain (safeStorage). Without a
 * real keychain (Linux "basic_text" seals with a fixed, public password) there is no app key and
 * fingerprints need a passphrase, as in CLI and browser mode; that is safer than a fake seal.
 */
function wireAppKey(c: AppContext): void {
  const backend = process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'os';
  if (!safeStorage.isEncryptionAvailable() || backend === 'basic_text' || backend === 'unknown') {
    console.warn(`safeStorage unavailable (${backend}): fingerprint sets will need a passphrase`);
    return;
  }
  const sealer = {
    encrypt: (plain: string) => safeStorage.encryptString(plain),
    decrypt: (sealed: Buffer) => safeStorage.decryptString(sealed),
  };
  // The hub API key is sealed the same way (services/incidents/HubSettings.ts).
  c.hubSealer = sealer;
  try {
    const { secret } = loadOrCreateAppSecret(path.join(c.home, 'app-key.sealed'), sealer);
    c.appKey = appKey(secret);
  } catch (e) {
    // The app still runs; passphrase sets keep working and the error says what to restore.
    console.error(e instanceof Error ? e.message : String(e));
  }
}

function wireIpc(c: AppContext): void {
  ipcMain.handle('hallmark:call', async (event, method: unknown, input: unknown): Promise<CallResult> => {
    // Only the top frame of our own window showing our own page may call in.
    const frame = event.senderFrame;
    const problem = ipcSenderProblem({
      url: frame?.url ?? '',
      isMainFrame: frame != null && frame === event.sender.mainFrame,
      isOurWindow: ourWindows.has(event.sender.id),
    }, rendererSource);
    if (problem) return { ok: false, error: { code: 'forbidden', message: `call refused: ${problem}` } };
    if (typeof method !== 'string') return { ok: false, error: { code: 'invalid_input', message: 'method must be a string' } };
    try {
      return { ok: true, result: await dispatch(c, method, input) };
    } catch (e) {
      return { ok: false, error: toApiError(e) };
    }
  });
  c.events.subscribe((ev) => {
    for (const w of BrowserWindow.getAllWindows()) w.webContents.send('hallmark:event', ev);
  });
}

function menu(): void {
  const isMac = process.platform === 'darwin';
  Menu.setApplicationMenu(Menu.buildFromTemplate([
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    { role: 'fileMenu' },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ]));
}

void app.whenReady().then(() => {
  // Strict CSP on every response, including file:// loads.
  session.defaultSession.webRequest.onHeadersReceived((details, cb) => {
    cb({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _perm, cb) => cb(false));
  // better-sqlite3 built for Electron's ABI (scripts/electron-native.mjs); packaged, it sits unpacked
  // beside app.asar (asarUnpack), since a native addon cannot load from inside the archive.
  const binding = path.join(here, '../electron-native/better_sqlite3.node').replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`);
  process.env.HALLMARK_SQLITE_BINDING ??= binding;
  ctx = AppContext.open({ home: process.env.HALLMARK_HOME ?? path.join(app.getPath('userData'), 'data'), versionHooks: [inspectAndScan, checkSignatureOnImport] });
  ctx.resumePostImport(); // scans a killed import left undone run in the background
  wireAppKey(ctx);
  wireIpc(ctx);
  incidents(ctx).schedule(); // periodic hub sync, when a hub is configured
  menu();
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

app.on('will-quit', (e) => {
  if (!ctx) return;
  e.preventDefault();
  const c = ctx;
  ctx = null;
  void c.dispose().finally(() => app.quit());
});
