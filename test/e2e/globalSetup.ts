// Builds the app once when the renderer bundle is missing (npm test builds before Playwright runs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export default function globalSetup(): void {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const need = ['out/renderer/index.html', 'out/cli/hallmark.js'].filter((p) => !fs.existsSync(path.join(root, p)));
  if (!need.length) return;
  console.log(`e2e: ${need.join(', ')} missing; running npm run build`);
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${r.status}); the e2e tests need out/renderer and out/cli`);
}
