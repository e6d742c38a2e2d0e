import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ipcSenderProblem, type RendererSource } from '../../electron/main/ipcOrigin';

const indexFile = path.resolve('/opt/Hallmark/resources/app/out/renderer/index.html');
const own = pathToFileURL(indexFile).href;
const built: RendererSource = { indexFile };
const dev: RendererSource = { indexFile, devUrl: 'http://localhost:5173' };
const top = (url: string) => ({ url, isMainFrame: true, isOurWindow: true });

describe('ipcSenderProblem (built app, file://)', () => {
  it('accepts exactly our index file, with any hash route', () => {
    expect(ipcSenderProblem(top(own), built)).toBeNull();
    expect(ipcSenderProblem(top(`${own}#/models/bert@2/files`), built)).toBeNull();
    // However the browser chose to percent-encode the same path.
    const spaced = path.resolve('/opt/Hallmark Beta/out/renderer/index.html');
    expect(ipcSenderProblem(top(pathToFileURL(spaced).href), { indexFile: spaced })).toBeNull();
    expect(ipcSenderProblem(top(pathToFileURL(indexFile).href.replace('index', '%69ndex')), built)).toBeNull();
  });

  it('refuses any other file:// page and paths that only start like ours', () => {
    for (const url of [
      'file:///tmp/evil.html',
      `${own}/../x`,
      `${own}/../../../../../tmp/evil.html`,
      own.replace('index.html', 'index.html.evil.html'),
      own.replace('index.html', 'evil/index.html'),
      `${own}?x=1`,
      own.replace('renderer/index.html', 'renderer%2Findex.html'),
      own.replace('file:///', 'file://evil.example/'),
      'http://localhost:5173/',
      '',
      'about:blank',
    ]) {
      expect({ url, problem: ipcSenderProblem(top(url), built) }).not.toEqual({ url, problem: null });
    }
  });

  it('refuses a sub-frame and a window that is not ours even when the URL is right', () => {
    expect(ipcSenderProblem({ url: own, isMainFrame: false, isOurWindow: true }, built)).toMatch(/sub-frame/);
    expect(ipcSenderProblem({ url: own, isMainFrame: true, isOurWindow: false }, built)).toMatch(/not a Hallmark window/);
  });
});

describe('ipcSenderProblem (development, dev server)', () => {
  it('accepts the dev server origin, any path', () => {
    expect(ipcSenderProblem(top('http://localhost:5173/'), dev)).toBeNull();
    expect(ipcSenderProblem(top('http://localhost:5173/index.html#/scans'), dev)).toBeNull();
  });

  it('refuses origins that merely start with the dev server URL, and file pages', () => {
    for (const url of [
      'http://localhost:5173.evil.com/',
      'http://localhost:51730/',
      'http://localhost:5173@evil.com/',
      'https://localhost:5173/',
      'http://127.0.0.1:5173/',
      own,
      'file:///tmp/evil.html',
      'data:text/html,<script>1</script>',
    ]) {
      expect({ url, problem: ipcSenderProblem(top(url), dev) }).not.toEqual({ url, problem: null });
    }
  });
});
