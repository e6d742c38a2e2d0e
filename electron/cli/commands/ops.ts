// `hallmark mode [inference|training|maintenance]` and `hallmark health`: how this Hallmark home is run.
import type { Command } from 'commander';
import type { OperatingMode } from '../../contract/mode';
import type { Cli } from '../Cli';

const WHAT: Record<OperatingMode, string> = {
  inference: 'everything is allowed (default)',
  training: 'jobs and imports run; running models is paused',
  maintenance: 'new jobs, imports and model runs are refused; running jobs finish',
};

export function registerOpsCommands(program: Command, cli: Cli): void {
  program.command('mode [mode]')
    .description('show or set the operating mode: inference (default), training (no model runs), maintenance (no new jobs or imports)')
    .action(async (mode: string | undefined) => {
      const { getMode, setMode, MODES } = await import('../../services/mode/Mode');
      const ctx = cli.ctx();
      if (mode !== undefined && !MODES.includes(mode as OperatingMode)) cli.fail(`unknown mode ${JSON.stringify(mode)}: use inference, training or maintenance`);
      const state = mode === undefined ? getMode(ctx.db) : setMode(ctx.db, mode as OperatingMode);
      cli.out(state, () => `mode: ${state.mode} — ${WHAT[state.mode]}${state.changed_at ? ` (since ${state.changed_at})` : ''}`);
    });

  program.command('health')
    .description('detailed health: database, disk, memory, jobs, GPU; exit 1 when degraded')
    .action(async () => {
      const { detailedHealth, healthText } = await import('../../services/health/Health');
      const report = await detailedHealth(cli.ctx());
      cli.out(report, () => healthText(report));
      if (report.status !== 'healthy') cli.fail('', 1);
    });
}
