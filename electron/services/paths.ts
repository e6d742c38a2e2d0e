import os from 'node:os';
import path from 'node:path';

/** The data directory: HALLMARK_HOME, else the platform's usual per-user place. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HALLMARK_HOME) return path.resolve(env.HALLMARK_HOME);
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Application Support', 'Hallmark');
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(os.homedir(), 'AppData', 'Roaming'), 'Hallmark');
  return path.join(env.XDG_DATA_HOME ?? path.join(os.homedir(), '.local', 'share'), 'hallmark');
}
