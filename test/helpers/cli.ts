import { PassThrough } from 'node:stream';
import { Cli } from '../../electron/cli/Cli';
import { runCli } from '../../electron/cli/main';

export interface CliResult { code: number; stdout: string; stderr: string; json: any }

/** Runs the real `hallmark` program in-process against HALLMARK_HOME `home`, capturing both streams. */
export function cliRunner(home: string): (...args: string[]) => Promise<CliResult> {
  return async (...args) => {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (d) => (stdout += String(d)));
    err.on('data', (d) => (stderr += String(d)));
    const code = await runCli(['--home', home, ...args], new Cli(out, err));
    let json: unknown = null;
    try {
      json = JSON.parse(stdout);
    } catch {
      // human output: callers read stdout
    }
    return { code, stdout, stderr, json };
  };
}
