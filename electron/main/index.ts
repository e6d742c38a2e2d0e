// Electron main: windows, menus, IPC wiring and safeStorage. The only code that imports `electron`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, Menu, safeStorage, session, shell } from 'electron';
import { AppContext } from '../services/AppContext';
import { dispatch, toApiError } from '../services/api/index';
import { CSP } from '../services/bridge/Bridge';
import { eventsOf } from '../services/events';
import '../services/plugins';

const here = path.dirname(fileURLToPath(import.meta.url));
let ctx: AppContext | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 560,
    title: 'Hallmark',
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
  win.once('ready-to-show', () => win.show());
  // The page never navigates away or opens windows; external links go to the OS browser.
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (/^https?:\/\//.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  if (process.env.ELECTRON_RENDERER_URL) void win.loadURL(process.env.ELECTRON_RENDERER_URL);
  else void win.loadFile(path.join(here, '../renderer/index.html'));
  return win;
}

/** A key for encrypting fingerprints at rest, protected by the OS keychain where available. */
export function safeStorageKey(): ((plain: Buffer) => Buffer) | null {
  return safeStorage.isEncryptionAvailable() ? (plain) => safeStorage.encryptString(plain.toString('base64')) : null;
}

function wireIpc(c: AppContext): void {
  ipcMain.handle('hallmark:call', async (event, method: unknown, input: unknown) => {
    // Only our own page may call in.
    const url = event.senderFrame?.url ?? '';
    if (!url.startsWith('file://') && !(process.env.ELECTRON_RENDERER_URL && url.startsWith(process.env.ELECTRON_RENDERER_URL))) {
      return { ok: false, error: { code: 'forbidden', message: `calls from ${JSON.stringify(url)} are not allowed` } };
    }
    if (typeof method !== 'string') return { ok: false, error: { code: 'invalid_input', message: 'method must be a string' } };
    try {
      return { ok: true, result: await dispatch(c, method, input) };
    } catch (e) {
      return { ok: false, error: toApiError(e) };
    }
  });
  eventsOf(c).subscribe((ev) => {
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
  ctx = AppContext.open({ home: process.env.HALLMARK_HOME ?? path.join(app.getPath('userData'), 'data') });
  wireIpc(ctx);
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
