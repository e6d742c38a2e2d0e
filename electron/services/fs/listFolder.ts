import fs from 'node:fs/promises';
import path from 'node:path';

export interface FolderEntry {
  rel: string;
  size: number;
  kind: 'file' | 'symlink' | 'dir' | 'other';
}

/** Lists a folder recursively without following links (bounded). */
export async function listFolder(root: string, maxEntries = 100_000, maxDepth = 16): Promise<FolderEntry[]> {
  const out: FolderEntry[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    if (depth > maxDepth || out.length >= maxEntries) return;
    const items = await fs.readdir(dir, { withFileTypes: true });
    items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    // Sizes of a folder's files are fetched together: one stat at a time costs a thread-pool round
    // trip per file, which dominated listings of folders with thousands of small files.
    let pending: Array<{ entry: FolderEntry; abs: string }> = [];
    const flush = async (): Promise<void> => {
      const batch = pending;
      pending = [];
      const sizes = await Promise.all(batch.map((b) => fs.stat(b.abs).then((st) => st.size)));
      batch.forEach((b, i) => (b.entry.size = sizes[i]!));
    };
    for (const it of items) {
      if (out.length >= maxEntries) break;
      const abs = path.join(dir, it.name);
      const rel = path.relative(root, abs).split(path.sep).join('/');
      if (it.isSymbolicLink()) out.push({ rel, size: 0, kind: 'symlink' });
      else if (it.isDirectory()) {
        out.push({ rel, size: 0, kind: 'dir' });
        await visit(abs, depth + 1);
      } else if (it.isFile()) {
        const entry: FolderEntry = { rel, size: 0, kind: 'file' };
        out.push(entry);
        pending.push({ entry, abs });
        if (pending.length >= 64) await flush();
      } else out.push({ rel, size: 0, kind: 'other' });
    }
    await flush();
  };
  await visit(root, 0);
  return out;
}
