// CatBoost binary models (.cbm): "CBM1" magic, a u32 FlatBuffers size, then the model core.
import { FormatError, readExact, type ByteSource } from './io';
import type { MatchContext } from './types';

export class CatboostError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'CatboostError';
  }
}

export const match = (head: Buffer, _ctx?: MatchContext): boolean => head.length >= 8 && head.toString('latin1', 0, 4) === 'CBM1';

export async function read(src: ByteSource): Promise<Record<string, unknown>> {
  const h = await readExact(src, 0, 8, 'catboost header');
  const core = h.readUInt32LE(4);
  if (8 + core > src.size) throw new CatboostError(`model core size ${core} at offset 4 runs past the end of the file (${src.size} bytes)`, 4);
  // The FlatBuffers core carries string metadata (e.g. "catboost_version_info"); report the legible keys.
  const body = (await readExact(src, 8, Math.min(core, 1 << 20), 'catboost core')).toString('latin1');
  const keys = [...new Set([...body.matchAll(/[a-z_]{6,40}/g)].map((m) => m[0]))].filter((k) => k.includes('_')).slice(0, 50);
  return { variant: 'cbm', coreSize: core, bytes: src.size, metadataKeys: keys };
}
