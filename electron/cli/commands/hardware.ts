// `hallmark gpu`: what this machine can run on.
import type { Command } from 'commander';
import { type Cli, fmtBytes } from '../Cli';

/** systeminformation and node-llama-cpp load when the command runs, not for `hallmark --help`. */
async function inference() {
  const { runServices } = await import('../../services/inference/RunServices');
  return { runServices };
}

export function registerHardwareCommands(program: Command, cli: Cli): void {
  program.command('gpu')
    .description('detected hardware: backend (cuda, metal, vulkan or cpu), GPUs with memory, RAM')
    .option('--cpu', 'report as if the CPU were forced')
    .action(async (o: { cpu?: boolean }) => {
      const { runServices } = await inference();
      const rs = runServices(cli.ctx());
      if (o.cpu) rs.override({ gpu: false });
      const info = await rs.gpu(true);
      cli.out(info, () => [
        `backend: ${info.backend}${info.forced_cpu ? ' (CPU forced)' : ''}`,
        ...info.devices.map((d) => `gpu: ${d.name} (${fmtBytes(d.vram_bytes)})`),
        ...(info.cpu ? [`cpu: ${info.cpu.model} (${info.cpu.cores} cores)`] : []),
        `ram: ${fmtBytes(info.ram_bytes)}`,
        `available: ${info.available.join(', ')}`,
      ].join('\n'));
    });
}
