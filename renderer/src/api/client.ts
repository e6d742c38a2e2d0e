// The renderer's one way to reach the services: Electron IPC (window.hallmark) when present, the local
// HTTP + WebSocket bridge (`hallmark serve`) otherwise. Typed by the shared contract; never imports Node code.
import type { CallResult, HallmarkEvent, Input, Method, Output } from '../../../electron/contract/index';
import type { UploadImportOptions, UploadResult } from '../../../electron/contract/registry';

/** A failed call: a stable code and a message that quotes the failing value. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly details?: unknown) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The contract's call envelope; the bridge may still answer something else, so reads stay defensive. */
type Envelope = CallResult;

/** What electron/preload exposes; declared here so the renderer does not import the preload (or electron). */
export interface HallmarkPreload {
  call(method: string, input: unknown): Promise<Envelope>;
  onEvent(cb: (e: HallmarkEvent) => void): () => void;
  pathForFile(file: File): string | null;
  platform: string;
}

declare global {
  interface Window {
    hallmark?: HallmarkPreload;
  }
}

const preload = (): HallmarkPreload | undefined => (typeof window === 'undefined' ? undefined : window.hallmark);
export const isElectron = (): boolean => Boolean(preload());
export const isMac = (): boolean => {
  const p = preload()?.platform;
  return p ? p === 'darwin' : /mac/i.test(navigator.platform || navigator.userAgent);
};
/** "⌘" on macOS, "Ctrl+" elsewhere: for labels. */
export const modKey = (): string => (isMac() ? '⌘' : 'Ctrl+');

// ---------------------------------------------------------------------------------------------
// Token (browser mode): the page is opened at /?token=…; keep it for this tab and take it out of the URL.
const TOKEN_KEY = 'hallmark.token';

function readToken(): string | null {
  if (typeof window === 'undefined') return null;
  try {
    const url = new URL(window.location.href);
    const t = url.searchParams.get('token');
    if (t) {
      sessionStorage.setItem(TOKEN_KEY, t);
      url.searchParams.delete('token');
      window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

const token: string | null = isElectron() ? null : readToken();
export const bridgeToken = (): string | null => token;

const authHeaders = (): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

function toApiError(env: Extract<Envelope, { ok: false }>, method: string, status?: number): ApiError {
  const e = env.error as Partial<typeof env.error> | undefined;
  if (e && typeof e.code === 'string') return new ApiError(e.code, e.message || `${method} failed (${e.code})`, e.details);
  return new ApiError('bad_response', `${method} failed${status ? ` with HTTP ${status}` : ''} and no error was given`);
}

async function requestBridge(url: string, label: string, method: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...authHeaders() },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (e) {
    throw new ApiError('bridge_unreachable', `cannot reach the Hallmark bridge at ${window.location.origin} (${(e as Error).message}); is \`hallmark serve\` still running?`);
  }
  let env: Envelope;
  try {
    env = (await res.json()) as Envelope;
  } catch {
    throw new ApiError('bad_response', `${label}: the bridge answered HTTP ${res.status} with something that is not JSON`);
  }
  if (res.status === 401 && !token) throw new ApiError('unauthorized', 'no access token: open the exact URL printed by `hallmark serve` (it ends with ?token=…)');
  if (!env.ok) throw toApiError(env, label, res.status);
  return env.result;
}

const callBridge = (method: string, input: unknown): Promise<unknown> =>
  requestBridge(`/api/call/${encodeURIComponent(method)}`, method, 'POST', input ?? {});

/** A call by name, untyped: the transport under `call`. */
async function callAny(method: string, input: unknown): Promise<unknown> {
  const p = preload();
  if (p) {
    let env: Envelope;
    try {
      env = await p.call(method, input);
    } catch (e) {
      throw new ApiError('ipc_failed', `${method}: ${(e as Error).message}`);
    }
    if (!env.ok) throw toApiError(env, method);
    return env.result;
  }
  return callBridge(method, input);
}

/** One typed call. Throws ApiError on any failure; never resolves with an error. */
export async function call<M extends Method>(method: M, input: Input<M>): Promise<Output<M>> {
  return (await callAny(method, input)) as Output<M>;
}

export const api = { call };

// ---------------------------------------------------------------------------------------------
// Events: IPC in Electron, a WebSocket with reconnect in browser mode.
export type ConnectionState = 'connecting' | 'open' | 'closed';
type EventListener = (e: HallmarkEvent) => void;
type ConnListener = (s: ConnectionState) => void;

const eventListeners = new Set<EventListener>();
const connListeners = new Set<ConnListener>();
let connState: ConnectionState = 'connecting';
let socket: WebSocket | null = null;
let ipcOff: (() => void) | null = null;
let retryMs = 500;
let retryTimer: ReturnType<typeof setTimeout> | null = null;

function setConn(s: ConnectionState): void {
  if (s === connState) return;
  connState = s;
  for (const l of connListeners) l(s);
}

function dispatchEvent(ev: HallmarkEvent): void {
  for (const l of eventListeners) {
    try {
      l(ev);
    } catch (e) {
      console.error('event listener failed', e);
    }
  }
}

function openSocket(): void {
  if (socket || !eventListeners.size) return;
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(`${proto}//${window.location.host}/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`);
  socket = ws;
  setConn('connecting');
  ws.onopen = () => {
    retryMs = 500;
    setConn('open');
  };
  ws.onmessage = (m) => {
    try {
      dispatchEvent(JSON.parse(String(m.data)) as HallmarkEvent);
    } catch (e) {
      console.error('unreadable event from the bridge', e);
    }
  };
  ws.onclose = () => {
    socket = null;
    setConn('closed');
    if (!eventListeners.size) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      openSocket();
    }, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

function ensureEvents(): void {
  const p = preload();
  if (p) {
    if (!ipcOff) {
      ipcOff = p.onEvent(dispatchEvent);
      setConn('open');
    }
    return;
  }
  openSocket();
}

/** Subscribes to pushed events (job progress, registry changes); returns the unsubscribe. */
export function onEvent(cb: EventListener): () => void {
  eventListeners.add(cb);
  ensureEvents();
  return () => {
    eventListeners.delete(cb);
    if (eventListeners.size) return;
    ipcOff?.();
    ipcOff = null;
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = null;
    const s = socket;
    socket = null;
    s?.close();
  };
}

/** Connection state of the event stream (always 'open' in Electron). */
export function onConnection(cb: ConnListener): () => void {
  connListeners.add(cb);
  cb(connState);
  return () => connListeners.delete(cb);
}

// ---------------------------------------------------------------------------------------------
// Browser-mode uploads: PUT /api/upload streams one file into a temp folder on the server.
// The bridge issues the upload id (null starts a new upload) and owns the folder behind it: the
// renderer imports or discards it by id and never sees or names a server path.
export function uploadFile(upload: string | null, relPath: string, file: Blob, onProgress: (loaded: number) => void, signal?: AbortSignal): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', `/api/upload?path=${encodeURIComponent(relPath)}${upload ? `&upload=${encodeURIComponent(upload)}` : ''}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onerror = () => reject(new ApiError('upload_failed', `uploading ${JSON.stringify(relPath)} failed: the bridge closed the connection`));
    xhr.onabort = () => reject(new ApiError('cancelled', `upload of ${JSON.stringify(relPath)} was cancelled`));
    xhr.onload = () => {
      let env: Envelope;
      try {
        env = JSON.parse(xhr.responseText) as Envelope;
      } catch {
        reject(new ApiError('bad_response', `uploading ${JSON.stringify(relPath)}: HTTP ${xhr.status}, not JSON`));
        return;
      }
      if (!env.ok) reject(toApiError(env, `upload ${relPath}`, xhr.status));
      else resolve(env.result as UploadResult);
    };
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(file);
  });
}

/** Imports a finished upload as a job; the bridge removes the upload when the job ends. */
export async function importUpload(upload: string, options: UploadImportOptions): Promise<{ jobId: string }> {
  return (await requestBridge(`/api/upload/${encodeURIComponent(upload)}/import`, 'import upload', 'POST', options)) as { jobId: string };
}

/** Drops an upload that will not be imported (cancelled or failed part way). */
export async function discardUpload(upload: string): Promise<void> {
  await requestBridge(`/api/upload/${encodeURIComponent(upload)}`, 'discard upload', 'DELETE');
}

/** The real path of a dropped file in Electron (null in a browser). */
export const pathForFile = (f: File): string | null => preload()?.pathForFile(f) ?? null;
