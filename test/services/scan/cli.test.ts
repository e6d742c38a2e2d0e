// `hallmark inspect` / `hallmark scan`: output shapes and exit codes (0 clean, 1 findings at or above
// --fail-on, 2 usage errors or unreadable input).
import path from 'node:path';
import { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { Cli, CliExit } from '../../../electron/cli/Cli';
import { registerScanCommands } from '../../../electron/cli/commands/scan';
import { getCorpus } from '../../fixtures/corpus/index';

let root: string;
beforeAll(async () => {
  root = (await getCorpus()).root;
});

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (f: (s: string) => void) => new Writable({ write(c, _e, cb) { f(String(c)); cb(); } });
  const cli = new Cli(sink((s) => (stdout += s)), sink((s) => (stderr += s)));
  const program = new Command('hallmark').option('--json').exitOverride().configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) })
    .hook('preAction', (_t, a) => { cli.json = Boolean(a.optsWithGlobals<{ json?: boolean }>().json); });
  registerScanCommands(program, cli);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.code, stdout, stderr: stderr + e.message };
    if (e instanceof CommanderError) return { code: 2, stdout, stderr };
    throw e;
  }
}

const p = (rel: string): string => path.join(root, rel);

describe('hallmark inspect', () => {
  it('prints {format, ...metadata} with --json', async () => {
    const r = await run('--json', 'inspect', p('benign/tiny-llama.gguf'));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ format: 'gguf', architecture: 'llama', contextLength: 2048, tensorCount: 4 });
  });

  it('prints a human summary and exits 2 on damaged or missing files', async () => {
    const ok = await run('inspect', p('benign/model.onnx'));
    expect(ok.stdout).toMatch(/format: onnx[\s\S]*opset: 17/);
    const bad = await run('inspect', p('malicious/gguf_truncated_header.gguf'));
    expect(bad.code).toBe(2);
    expect((await run('inspect', p('nope.bin'))).code).toBe(2);
  });
});

describe('hallmark scan', () => {
  it('exits 0 on clean input and prints the cli.md JSON shape', async () => {
    const r = await run('--json', 'scan', p('benign/torch_state_dict.pt'), p('benign/model.safetensors'));
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { files: Array<{ path: string; format: string; findings: unknown[] }> };
    expect(j.files.map((f) => [path.basename(f.path), f.format, f.findings.length])).toEqual([['torch_state_dict.pt', 'pytorch', 0], ['model.safetensors', 'safetensors', 0]]);
  });

  it('exits 1 when findings reach --fail-on (default high)', async () => {
    const r = await run('scan', p('malicious/os_system_p4.pkl'));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/CRITICAL pickle\.dangerous-import/);
    expect((await run('scan', '--fail-on', 'critical', p('malicious/onnx_custom_domain.onnx'))).code).toBe(0);
    expect((await run('scan', '--fail-on', 'medium', p('malicious/onnx_custom_domain.onnx'))).code).toBe(1);
    expect((await run('scan', '--fail-on', 'never', p('malicious/os_system_p4.pkl'))).code).toBe(0);
  });

  it('prints SARIF with --sarif', async () => {
    const r = await run('scan', '--sarif', p('malicious/torch_zip_payload.pt'));
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout) as { version: string; runs: Array<{ results: Array<{ ruleId: string; level: string }> }> };
    expect(s.version).toBe('2.1.0');
    expect(s.runs[0]!.results[0]).toMatchObject({ ruleId: 'pickle.dangerous-import', level: 'error' });
  });

  it('exits 2 on usage errors and missing paths', async () => {
    expect((await run('scan', '--fail-on', 'bogus', p('benign/model.onnx'))).code).toBe(2);
    expect((await run('scan', p('does-not-exist'))).code).toBe(2);
    expect((await run('scan')).code).toBe(2);
  });

  it('scans folders recursively', async () => {
    const r = await run('--json', 'scan', p('malicious/hf_remote_code'));
    expect(r.code).toBe(0); // medium findings only: below the default threshold
    const j = JSON.parse(r.stdout) as { files: Array<{ findings: Array<{ rule: string }> }> };
    expect(j.files.flatMap((f) => f.findings.map((x) => x.rule))).toEqual(expect.arrayContaining(['hf.remote-code', 'hf.code-file']));
  });
});
