// Format detection from bytes (magic numbers and structure), never from the extension: the name is
// only a tie-breaker for formats without magic (ONNX, saved_model.pb).
import fs from 'node:fs/promises';
import path from 'node:path';
import * as catboost from './catboost';
import { canInflate, inflate, sniffCompression } from './compression';
import * as gguf from './gguf';
import * as hf from './hf';
import { BufferSource, FileSource, basename, type ByteSource } from './io';
import * as keras from './keras';
import * as lightgbm from './lightgbm';
import * as numpy from './numpy';
import * as onnx from './onnx';
import * as pickle from './pickle/read';
import * as pytorch from './pytorch';
import * as safetensors from './safetensors';
import * as savedmodel from './savedmodel';
import * as tar from './tar';
import { HEAD_SIZE, type Detection, type MatchContext } from './types';
import * as xgboost from './xgboost';
import * as zip from './zip';

/** Sniffs what is inside a compressed head without inflating the rest. */
async function detectCompressed(src: ByteSource, codec: NonNullable<Detection['compression']>): Promise<Detection> {
  if (!canInflate(codec)) return { format: 'compressed', compression: codec };
  let inner: Buffer;
  try {
    inner = await inflate(src, codec, HEAD_SIZE, true);
  } catch {
    return { format: 'unknown' };
  }
  if (tar.match(inner)) return { format: 'tar', compression: codec };
  if (pickle.match(inner)) return { format: inner.includes('joblib') ? 'joblib' : 'pickle', compression: codec };
  if (numpy.match(inner)) return { format: 'npy', compression: codec };
  return { format: 'compressed', compression: codec };
}

export async function detectSource(src: ByteSource, ctx: MatchContext = { name: basename(src.name), size: src.size }): Promise<Detection> {
  const head = await src.read(0, Math.min(HEAD_SIZE, src.size));
  if (head.length === 0) return { format: 'unknown' };
  if (gguf.match(head, ctx)) return { format: 'gguf' };
  if (keras.match(head, ctx)) return { format: head.includes('model_config') || head.includes('keras_version') ? 'keras-h5' : 'hdf5' };
  if (numpy.match(head, ctx)) return { format: 'npy' };
  if (zip.match(head, ctx)) {
    try {
      const z = await zip.ZipArchive.for(src);
      return { format: zip.classifyZip(z.entries.map((e) => e.name)) };
    } catch {
      return { format: 'zip' };
    }
  }
  if (tar.match(head, ctx)) return { format: 'tar' };
  const codec = sniffCompression(head);
  if (codec) {
    const d = await detectCompressed(src, codec);
    if (d.format !== 'unknown') return d;
  }
  if (savedmodel.match(head, ctx)) return { format: 'tf-savedmodel' };
  if (safetensors.match(head, ctx)) return { format: 'safetensors' };
  if (catboost.match(head, ctx)) return { format: 'catboost' };
  if (xgboost.match(head, ctx)) return { format: 'xgboost' };
  if (lightgbm.match(head, ctx)) return { format: 'lightgbm' };
  if (pytorch.match(head, ctx)) return { format: 'pytorch-legacy' };
  if (pickle.match(head, ctx)) return { format: head.includes('joblib.numpy_pickle') ? 'joblib' : 'pickle' };
  if (hf.match(head, ctx)) {
    if (src.size > hf.MAX_JSON) return { format: 'json' };
    try {
      const kind = hf.classifyJson(await hf.readJson(src), ctx.name);
      return { format: kind === 'keras' ? 'keras' : kind };
    } catch {
      return { format: 'unknown' };
    }
  }
  if (onnx.match(head, ctx)) return { format: 'onnx' };
  return { format: 'unknown' };
}

/**
 * What a file is, for inspect and scan alike (one function, so they can never disagree). Content
 * decides; `name` only where the bytes cannot: keras_metadata.pb has no magic, and keras.saving.load_model
 * opens a zip named .keras as a Keras model whatever members it holds.
 */
export async function detectFile(src: ByteSource, name = basename(src.name)): Promise<Detection> {
  if (name === 'keras_metadata.pb') return { format: 'tf-savedmodel', variant: 'keras-metadata' };
  const d = await detectSource(src);
  return d.format === 'zip' && /\.keras$/i.test(name) ? { format: 'keras' } : d;
}

/** Formats of a folder: a SavedModel, a Hugging Face model folder, or just files. */
export async function detectFolder(dir: string): Promise<Detection> {
  const names = new Set(await fs.readdir(dir));
  if (names.has('saved_model.pb') || names.has('saved_model.pbtxt')) return { format: 'tf-savedmodel' };
  const hfLike = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json'];
  if (hfLike.some((n) => names.has(n)) || [...names].some((n) => n.endsWith('.safetensors') || n.endsWith('.index.json'))) return { format: 'hf-folder' };
  return { format: 'directory' };
}

/** Detects the format of a file or folder from its content. */
export async function detectFormat(p: string): Promise<Detection> {
  const st = await fs.stat(p);
  if (st.isDirectory()) return detectFolder(p);
  const src = await FileSource.open(p);
  try {
    return await detectSource(src, { name: path.basename(p), size: src.size });
  } finally {
    await src.close();
  }
}

/** Detection for in-memory bytes (archive members, tests). */
export const detectBuffer = (name: string, buf: Buffer): Promise<Detection> => detectSource(new BufferSource(name, buf));
