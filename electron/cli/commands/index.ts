import type { Command } from 'commander';
import type { Cli } from '../Cli';

type Register = (program: Command, cli: Cli) => void;

/**
 * One entry per command group, loaded only when one of its commands runs: `hallmark scan` should not
 * pay for node-llama-cpp, onnxruntime or the HTTP server at start-up (a CI gate calls it per file).
 */
export const commandGroups: Array<{ commands: readonly string[]; opensContext: boolean; load: () => Promise<Register> }> = [
  {
    commands: ['import', 'list', 'versions', 'show', 'verify', 'promote', 'compare', 'export', 'tag', 'metrics', 'delete', 'gc'],
    opensContext: true,
    load: async () => (await import('./registry')).registerRegistryCommands,
  },
  // The hub is its own program: no desktop registry (its database is the hub's own).
  { commands: ['hub'], opensContext: false, load: async () => (await import('./hub')).registerHubCommand },
  { commands: ['serve'], opensContext: true, load: async () => (await import('./serve')).registerServeCommand },
  // Each inference-backed group loads its own services (node-llama-cpp, onnxruntime) only inside its commands.
  { commands: ['gpu'], opensContext: true, load: async () => (await import('./hardware')).registerHardwareCommands },
  { commands: ['run'], opensContext: true, load: async () => (await import('./inference')).registerInferenceCommands },
  { commands: ['sync', 'incidents', 'hub-login', 'hub-register'], opensContext: true, load: async () => (await import('./incidents')).registerIncidentCommands },
  { commands: ['verify-signature', 'sign'], opensContext: true, load: async () => (await import('./signing')).registerSigningCommands },
  { commands: ['fingerprints', 'audit'], opensContext: true, load: async () => (await import('./audit')).registerAuditCommands },
  // Fine-tuning: the trainer runs in Python; its environment and the embed job load only here.
  { commands: ['trainer', 'embed'], opensContext: true, load: async () => (await import('./embed')).registerEmbedCommands },
  // Batch predictions, A/B comparisons and model metadata: the Python worker and onnxruntime load only inside their commands.
  { commands: ['predict', 'predictions', 'compare-predictions', 'meta'], opensContext: true, load: async () => (await import('./evaluate')).registerEvaluateCommands },
  // Operating mode and detailed health of this home.
  { commands: ['mode', 'health'], opensContext: true, load: async () => (await import('./ops')).registerOpsCommands },
  // Data quality streams tabular files; no native runtime.
  { commands: ['quality'], opensContext: true, load: async () => (await import('./quality')).registerQualityCommands },
  // inspect and scan read files, never the registry: no context, so no registry or version hooks (and no zod) to load.
  { commands: ['inspect', 'scan'], opensContext: false, load: async () => (await import('./scan')).registerScanCommands },
];

/** The command word in argv (skipping global options), or null for help, version or no command. */
export function commandWord(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--home') i++; // its value is not the command
    else if (!a.startsWith('-')) return a;
  }
  return null;
}

/** The register functions needed for argv: one group when the command is known, none for the version, else all (help, typos). */
export async function registersFor(argv: readonly string[]): Promise<Register[]> {
  const word = commandWord(argv);
  if (word === null && argv.some((a) => a === '-V' || a === '--version')) return [];
  const matched = commandGroups.filter((g) => word !== null && g.commands.includes(word));
  const groups = matched.length ? matched : commandGroups;
  if (!groups.some((g) => g.opensContext)) return Promise.all(groups.map((g) => g.load()));
  // Every context a command opens (the bridge's too, via `serve`) inspects and scans what it imports, and checks its signature.
  const [{ AppContext }, { inspectAndScan }, { checkSignatureOnImport }] = await Promise.all([
    import('../../services/AppContext'), import('../../services/scan/plugin'), import('../../services/signing/plugin'),
  ]);
  return Promise.all(groups.map(async (g) => {
    const register = await g.load();
    if (!g.opensContext) return register;
    return (program: Command, cli: Cli) => {
      cli.openContext = (opts) => AppContext.open({ ...opts, versionHooks: [inspectAndScan, checkSignatureOnImport] });
      register(program, cli);
    };
  }));
}
