// `hallmark run`: one inference on a GGUF or ONNX model.
import type { Command } from 'commander';
import { parseModelArg } from '../../services/inference/modelRef';
import type { Cli } from '../Cli';
import { int, num } from '../options';

/** The inference stack (node-llama-cpp, onnxruntime, systeminformation) loads when the command runs, not for `hallmark --help`. */
async function inference() {
  const [{ runServices }, { runFromFile }] = await Promise.all([import('../../services/inference/RunServices'), import('../../services/inference/InferenceService')]);
  return { runServices, runFromFile };
}

export function registerInferenceCommands(program: Command, cli: Cli): void {
  program.command('run')
    .description('one inference: ONNX inputs as JSON or CSV; GGUF input as {"prompt"} / {"messages"} JSON or text')
    .argument('<model>', 'NAME[@VERSION] or a path to a .gguf/.onnx file')
    .requiredOption('--input <file>', 'input file (.json, .csv or .txt)')
    .option('--max-tokens <n>', 'GGUF: tokens to generate')
    .option('--temperature <t>', 'GGUF: 0 (default) is greedy')
    .option('--seed <n>', 'GGUF: makes sampling with a temperature reproducible')
    .option('--cpu', 'force the CPU')
    .option('--adapter <file|NAME@VERSION>', 'GGUF: apply a LoRA adapter (a .gguf adapter file or a registered adapter version); repeatable. An adapter-mode embed version applies its own',
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .action(async (model: string, o: { input: string; maxTokens?: string; temperature?: string; seed?: string; cpu?: boolean; adapter: string[] }) => {
      const sampling = {
        maxTokens: int(cli, o.maxTokens, '--max-tokens'), temperature: num(cli, o.temperature, '--temperature'), seed: int(cli, o.seed, '--seed', 0),
      };
      const { runServices, runFromFile } = await inference();
      const ctx = cli.ctx();
      if (o.cpu) runServices(ctx).override({ gpu: false });
      const ref = parseModelArg(model);
      const r = await runFromFile(ctx, o.adapter.length ? { ...ref, adapters: o.adapter } : ref, o.input, Object.fromEntries(Object.entries(sampling).filter(([, v]) => v !== undefined)));
      cli.out(r, () => ('text' in r
        ? `${r.text}\n(${r.tokens} tokens, ${r.tokens_per_sec.toFixed(1)} tokens/s, ${r.latency_ms.toFixed(0)} ms)`
        : r.outputs.map((t) => `${t.name} ${t.type}[${t.dims.join(', ')}]: ${JSON.stringify(t.data.length > 64 ? [...t.data.slice(0, 64), '…'] : t.data)}`).join('\n')
          + `\n(batch ${r.batch_size}, ${r.latency_ms.toFixed(1)} ms)`));
    });
}
