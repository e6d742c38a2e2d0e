// LightGBM text models: a `key=value` header ("tree", "version=v4", …) before the first "Tree=" block.
import { FormatError, readExact, type ByteSource } from './io';
import type { MatchContext } from './types';

export class LightgbmError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'LightgbmError';
  }
}

export const match = (head: Buffer, _ctx?: MatchContext): boolean => /^tree\r?\nversion=v\d/.test(head.toString('latin1', 0, 32));

export async function read(src: ByteSource): Promise<Record<string, unknown>> {
  const head = (await readExact(src, 0, Math.min(src.size, 4 << 20), 'lightgbm header')).toString('utf8');
  const end = head.indexOf('\nTree=');
  const lines = (end < 0 ? head : head.slice(0, end)).split(/\r?\n/);
  const kv: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const line of lines) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq)] = line.slice(eq + 1);
  }
  if (!kv.version) throw new LightgbmError('no version line in the model header', 0);
  const features = kv.feature_names ? kv.feature_names.split(' ') : [];
  return {
    version: kv.version,
    objective: kv.objective ?? null,
    numClass: kv.num_class ? Number(kv.num_class) : null,
    numTreePerIteration: kv.num_tree_per_iteration ? Number(kv.num_tree_per_iteration) : null,
    maxFeatureIdx: kv.max_feature_idx ? Number(kv.max_feature_idx) : null,
    numTrees: kv.tree_sizes ? kv.tree_sizes.trim().split(/\s+/).length : null,
    featureNames: features.slice(0, 1000),
    featureCount: features.length,
  };
}
