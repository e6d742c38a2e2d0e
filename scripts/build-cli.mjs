// Bundles the CLI (and with it the services) for Node: out/cli/hallmark.js.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry hashes: start clean so stale chunks never pile up or get loaded.
rmSync('out/cli', { recursive: true, force: true });

await build({
  entryPoints: { hallmark: 'electron/cli/entry.ts' },
  outdir: 'out/cli',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native addons and the big runtime-only packages stay in node_modules; small pure-JS ones (commander,
  // yauzl, zod, …) are bundled, which spares Node's ESM→CommonJS interop at every start (CI gates call
  // `hallmark scan` per file, so start-up time is user-visible).
  external: ['better-sqlite3', 'node-llama-cpp', 'onnxruntime-node', 'systeminformation', 'fastify', '@fastify/*', 'ws', 'protobufjs', 'pg', 'kysely'],
  // Bundled CommonJS calls require() for Node built-ins: give the ESM bundle a real one.
  banner: { js: "import { createRequire as __hmCreateRequire } from 'node:module'; const require = __hmCreateRequire(import.meta.url);" },
  // Command groups are dynamic imports: split chunks so `hallmark scan` never loads the inference stack.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  logLevel: 'warning',
});
console.log('built out/cli/hallmark.js');
