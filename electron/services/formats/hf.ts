// Hugging Face style JSON files and folders: config.json, tokenizer files, sharded-weight indexes
// (`*.index.json`). JSON is read whole but under a size cap; prototype keys stay inert.
import type { Budget } from './budget';
import { finding } from './finding';
import { FormatError, readExact, type ByteSource } from './io';
import { scanConfig as scanKerasConfig } from './keras';
import { parseBytes } from './json';
import type { FormatRules } from './scanContext';
import type { MatchContext } from './types';

export class HfError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'HfError';
  }
}

export const MAX_JSON = 64 << 20;

/** JSON object text: first non-blank byte is '{' (after an optional UTF-8 BOM). */
export const match = (head: Buffer, _ctx?: MatchContext): boolean => {
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x0a || head[i] === 0x0d || head[i] === 0x09)) i++;
  return head[i] === 0x7b && (head[i + 1] === 0x22 || head[i + 1] === 0x0a || head[i + 1] === 0x20 || head[i + 1] === 0x0d || head[i + 1] === 0x7d || head[i + 1] === 0x09);
};

/** Reads JSON as the Python loaders do (json.ts): NaN/Infinity, UTF-16/32, duplicate keys last-wins. */
export async function readJson(src: ByteSource, max = MAX_JSON, budget?: Budget): Promise<unknown> {
  if (src.size > max) throw new HfError(`not fully scanned: ${src.name} is ${src.size} bytes, over the ${max}-byte JSON limit`);
  budget?.charge(src.size, 'JSON text');
  const buf = await readExact(src, 0, src.size, 'JSON');
  try {
    return parseBytes(buf, src.name, budget);
  } catch (e) {
    throw new HfError((e as Error).message);
  }
}

export type JsonKind = 'hf-config' | 'hf-index' | 'hf-tokenizer' | 'xgboost' | 'keras' | 'json';

export function classifyJson(v: unknown, name: string): JsonKind {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'json';
  const o = v as Record<string, unknown>;
  if (o.weight_map && typeof o.weight_map === 'object') return 'hf-index';
  if (o.learner && typeof o.learner === 'object' && Array.isArray(o.version)) return 'xgboost';
  if (typeof o.class_name === 'string' && o.config && typeof o.config === 'object' && ('keras_version' in o || 'module' in o || 'build_config' in o)) return 'keras';
  if ((o.model && typeof o.model === 'object' && ('added_tokens' in o || 'normalizer' in o || 'pre_tokenizer' in o)) || 'tokenizer_class' in o || 'chat_template' in o || name === 'tokenizer_config.json' || name === 'special_tokens_map.json') return 'hf-tokenizer';
  if ('model_type' in o || 'architectures' in o || 'transformers_version' in o || name === 'config.json') return 'hf-config';
  return 'json';
}

const CONFIG_KEYS = [
  'model_type', 'architectures', 'torch_dtype', 'dtype', 'transformers_version', 'hidden_size', 'intermediate_size', 'num_hidden_layers',
  'num_attention_heads', 'num_key_value_heads', 'vocab_size', 'max_position_embeddings', 'rope_theta', 'tie_word_embeddings',
  'quantization_config', 'auto_map', 'n_positions', 'n_embd', 'n_layer', 'n_head', 'num_experts', 'num_local_experts',
  'sliding_window', 'head_dim', 'rms_norm_eps', 'bos_token_id', 'eos_token_id',
];

export function summarizeConfig(v: unknown): Record<string, unknown> {
  const o = (v ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_KEYS) if (Object.hasOwn(o, k)) out[k] = o[k];
  const text = o.text_config && typeof o.text_config === 'object' ? (o.text_config as Record<string, unknown>) : null;
  if (text) for (const k of ['hidden_size', 'num_hidden_layers', 'max_position_embeddings', 'vocab_size']) if (!(k in out) && k in text) out[k] = text[k];
  out.contextLength = out.max_position_embeddings ?? out.n_positions ?? null;
  return out;
}

/** Chat templates from a tokenizer_config.json: a string, or a list of {name, template}. */
export function chatTemplates(v: unknown): Record<string, string> {
  const o = (v ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  const t = o.chat_template;
  if (typeof t === 'string') out.default = t;
  else if (Array.isArray(t)) {
    for (const e of t) {
      const x = e as { name?: unknown; template?: unknown };
      if (typeof x?.template === 'string') out[typeof x.name === 'string' ? x.name : `#${Object.keys(out).length}`] = x.template;
    }
  }
  return out;
}

export function summarizeTokenizer(v: unknown): Record<string, unknown> {
  const o = (v ?? {}) as Record<string, unknown>;
  const model = o.model && typeof o.model === 'object' ? (o.model as Record<string, unknown>) : null;
  const vocab = model?.vocab;
  return {
    tokenizerClass: o.tokenizer_class ?? null,
    modelType: model?.type ?? null,
    vocabSize: vocab && typeof vocab === 'object' ? (Array.isArray(vocab) ? vocab.length : Object.keys(vocab).length) : null,
    addedTokens: Array.isArray(o.added_tokens) ? o.added_tokens.length : null,
    modelMaxLength: o.model_max_length ?? null,
    bosToken: o.bos_token ?? null,
    eosToken: o.eos_token ?? null,
    chatTemplates: chatTemplates(v),
  };
}

export function summarizeIndex(v: unknown): Record<string, unknown> {
  const o = (v ?? {}) as { metadata?: Record<string, unknown>; weight_map?: Record<string, unknown> };
  const wm = o.weight_map ?? {};
  const shards = [...new Set(Object.values(wm).map(String))];
  return { totalSize: o.metadata?.total_size ?? null, tensorCount: Object.keys(wm).length, shards: shards.slice(0, 10_000), shardCount: shards.length };
}

// ---- scan rules ---------------------------------------------------------------------------

/** config.json: remote code (auto_map), and Keras-shaped configs that Keras would deserialise. */
export const configRules: FormatRules = {
  async scan(s) {
    const v = await s.json();
    const o = (v ?? {}) as { auto_map?: unknown; class_name?: unknown; config?: unknown };
    // Keras-shaped config.json (class_name + config) that lacks the keys classifyJson wants (module,
    // keras_version): a .keras archive or keras.models.model_from_json reads it as Keras all the same.
    if (typeof o.class_name === 'string' && o.config && typeof o.config === 'object') scanKerasConfig(v, s.display, '', s.out, s.budget);
    if (o.auto_map && typeof o.auto_map === 'object') {
      const refs = Object.values(o.auto_map as Record<string, unknown>).flat().map(String).slice(0, 10);
      const remote = refs.filter((r) => r.includes('--'));
      s.out.push(finding('medium', 'hf.remote-code', s.display, 'auto_map', `config maps to custom classes (${refs.join(', ')}): loading with trust_remote_code=True imports and runs Python files${remote.length ? ` from other repositories (${remote.join(', ')})` : ' shipped with the model'}`));
    }
  },
};

/** tokenizer_config.json: its chat templates, rendered by transformers' apply_chat_template. */
export const tokenizerRules: FormatRules = {
  async scan({ src, display, out }) {
    const t = Object.entries(chatTemplates(await readJson(src)));
    if (!t.length) return;
    const { scanTemplate } = await import('./jinja/template');
    for (const [k, v] of t) out.push(...scanTemplate(v, display, `chat_template ${JSON.stringify(k)}`));
  },
};

/** *.index.json: shard names loaders open relative to the folder. */
export const indexRules: FormatRules = {
  async scan(s) {
    const wm = (((await s.json()) ?? {}) as { weight_map?: Record<string, unknown> }).weight_map ?? {};
    const seen = new Set<string>();
    for (const [tensor, shard] of Object.entries(wm)) {
      const name = String(shard);
      if (seen.has(name)) continue;
      seen.add(name);
      const esc = escapesFolder(name);
      if (esc) s.out.push(finding('high', 'hf.shard-escape', s.display, `weight_map ${JSON.stringify(tensor)}`, `shard ${JSON.stringify(name)} ${esc}: loaders open whatever file that resolves to`));
      if (seen.size > 100_000) {
        s.out.push(finding('medium', 'file.unscannable', s.display, 'weight_map', 'not fully scanned: more than 100000 distinct shard names; the rest were not checked'));
        break;
      }
    }
  },
};

/** Other JSON: detect() leaves JSON over the size cap unparsed, so say so rather than pass it as clean. */
export const jsonRules: FormatRules = {
  async scan({ src, display, out }) {
    if (src.size > MAX_JSON) out.push(finding('medium', 'file.unscannable', display, 'file', `not fully scanned: ${src.size}-byte JSON is over the ${MAX_JSON}-byte limit`));
  },
};

/** A path from inside a model folder that would resolve outside it (or absolutely). */
export function escapesFolder(p: string): string | null {
  if (p.includes('\0')) return 'contains a NUL byte';
  if (/^([a-zA-Z]:|[\\/])/.test(p) || p.startsWith('~')) return 'is absolute';
  const parts = p.split(/[\\/]+/);
  let depth = 0;
  for (const s of parts) {
    if (s === '..') depth--;
    else if (s !== '.' && s !== '') depth++;
    if (depth < 0) return 'climbs out with ".."';
  }
  return null;
}

