// Entry for the bundled CLI (out/cli/hallmark.js) and `tsx electron/cli/entry.ts`.
import { runCli } from './main';

const code = await runCli(process.argv.slice(2));
// Serve keeps the process alive by itself; everything else exits with its code.
if (code !== 0 || !process.argv.slice(2).includes('serve')) process.exit(code);
