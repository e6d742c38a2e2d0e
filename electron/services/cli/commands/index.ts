import type { Command } from 'commander';
import type { Cli } from '../Cli';
import { registerRegistryCommands } from './registry';
import { registerServeCommand } from './serve';
import { registerRunCommands } from './run';
import { registerScanCommands } from './scan';

/** One entry per command group; each adds its subcommands to the program. */
export const commands: Array<(program: Command, cli: Cli) => void> = [
  registerRegistryCommands,
  registerServeCommand,
  registerRunCommands,
  registerScanCommands,
];
