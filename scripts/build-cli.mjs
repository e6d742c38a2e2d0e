// Bundles the CLI (and with it the services) for Node: out/cli/hallmark.js. node_modules stay external.
import { build } from 'esbuild';

await build({
  entryPoints: { hallmark: 'electron/services/cli/entry.ts' },
  outdir: 'out/cli',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // Command groups are dynamic imports: split chunks so `hallmark scan` never loads the inference stack.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
});
console.log('built out/cli/hallmark.js');
