// Which frames may call the services over IPC. Kept free of `electron` so it can be unit-tested:
// electron/main/index.ts gathers the facts from the IPC event and asks here.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Where our window's page comes from: the built index file, or the dev server in development. */
export interface RendererSource {
  indexFile: string;
  devUrl?: string;
}

export interface IpcSender {
  /** URL of the frame that sent the message ('' when the frame is gone). */
  url: string;
  /** The frame is the top frame of its page (not an iframe). */
  isMainFrame: boolean;
  /** The page is one of the windows we created. */
  isOurWindow: boolean;
}

/**
 * Null when the sender is our own page, else why not. Exact matches only: a prefix test lets
 * http://localhost:5173.evil.com or file:///…/index.html/../evil.html through, and "any file://"
 * lets a downloaded HTML file in.
 */
export function ipcSenderProblem(sender: IpcSender, source: RendererSource): string | null {
  if (!sender.isOurWindow) return 'the sender is not a Hallmark window';
  if (!sender.isMainFrame) return 'the sender is a sub-frame';
  let url: URL;
  try {
    url = new URL(sender.url);
  } catch {
    return `the sender URL ${JSON.stringify(sender.url)} is not a URL`;
  }
  if (source.devUrl) {
    let dev: URL;
    try {
      dev = new URL(source.devUrl);
    } catch {
      return `the dev server URL ${JSON.stringify(source.devUrl)} is not a URL`;
    }
    // An opaque origin ('null': data:, file:, sandboxed) never equals a real one.
    return url.origin !== 'null' && url.origin === dev.origin ? null : `origin ${JSON.stringify(url.origin)} is not the dev server's ${JSON.stringify(dev.origin)}`;
  }
  // The renderer routes with the hash; anything else must be the index file itself. new URL has
  // already resolved dot segments (a path that climbs out and back in no longer matches), and the
  // paths are compared decoded so Chromium's and Node's percent-encoding choices cannot differ.
  const own = pathToFileURL(source.indexFile).href;
  const refused = `${JSON.stringify(sender.url)} is not the Hallmark page ${JSON.stringify(own)}`;
  if (url.protocol !== 'file:' || url.host !== '' || url.search !== '') return refused;
  let file: string;
  try {
    file = fileURLToPath(url);
  } catch {
    return refused; // an encoded separator or the like: not a path we load
  }
  return file === path.resolve(source.indexFile) ? null : refused;
}
