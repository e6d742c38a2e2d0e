// Fills a registry database with N synthetic models (one version each) in a single transaction, the
// way the importer would have: models, versions, tags. Used for the 100,000-row list test.
import BetterSqlite3 from 'better-sqlite3';

const FRAMEWORKS = ['pytorch', 'onnx', 'gguf', 'safetensors', 'sklearn', 'keras'];
const FORMATS = ['pytorch', 'onnx', 'gguf', 'safetensors', 'pickle', 'keras'];

export const seededName = (i: number): string => `seed-model-${String(i).padStart(6, '0')}`;

export function seedModels(dbFile: string, n: number): void {
  const db = new BetterSqlite3(dbFile);
  try {
    db.pragma('journal_mode = WAL');
    const base = Date.parse('2024-01-01T00:00:00Z');
    const insModel = db.prepare(`INSERT INTO models (id, name, description, framework, model_type, latest_version_id, created_at, updated_at) VALUES (?, ?, '', ?, 'other', ?, ?, ?)`);
    const insVersion = db.prepare(`INSERT INTO versions (id, model_id, number, stage, storage, content_hash, total_size, file_count, format, integrity, created_at) VALUES (?, ?, 1, ?, 'vault', ?, ?, 1, ?, 'unknown', ?)`);
    const insTag = db.prepare(`INSERT INTO model_tags (model_id, tag) VALUES (?, ?)`);
    db.transaction(() => {
      for (let i = 1; i <= n; i++) {
        // Newer models have higher numbers, so "updated, newest first" lists them from N down to 1.
        const t = new Date(base + i * 1000).toISOString();
        const fw = FRAMEWORKS[i % FRAMEWORKS.length]!;
        insModel.run(i, seededName(i), fw, i, t, t);
        insVersion.run(i, i, i % 97 === 0 ? 'production' : 'none', `seed${i}`, 1000 + i, FORMATS[i % FORMATS.length]!, t);
        if (i % 10 === 0) insTag.run(i, 'tenth');
      }
    })();
  } finally {
    db.close();
  }
}
