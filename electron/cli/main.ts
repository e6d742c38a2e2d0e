import { Command, CommanderError } from 'commander';
import { Cli, CliExit, errorMessage } from './Cli';
import { registersFor } from './commands/index';
import { version } from '../../package.json';

/** Builds the `hallmark` program for argv; the command groups it needs register themselves from commands/. */
export async function buildProgram(cli: Cli, argv: readonly string[]): Promise<Command> {
  const program = new Command('hallmark')
    .description('Hallmark: inspect, scan, register and audit ML model files')
    .version(version, '-V, --version', 'print the version')
    .option('--json', 'machine-readable output on stdout')
    .option('--home <dir>', 'data directory (default: $HALLMARK_HOME or the per-user data folder)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => cli.stdout.write(s), writeErr: (s) => cli.stderr.write(s) })
    .hook('preAction', (_this, action) => {
      const o = action.optsWithGlobals<{ json?: boolean; home?: string }>();
      cli.json = Boolean(o.json);
      if (o.home) cli.home = o.home;
    });
  for (const register of await registersFor(argv)) register(program, cli);
  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit itself, so tests can drive it). */
export async function runCli(argv: string[], cli = new Cli()): Promise<number> {
  try {
    const program = await buildProgram(cli, argv);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CliExit) {
      if (e.message) cli.stderr.write(`hallmark: ${e.message}\n`);
      return e.code;
    }
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    cli.stderr.write(`hallmark: ${errorMessage(e)}\n`);
    return 2;
  } finally {
    await cli.close().catch(() => undefined);
  }
}
