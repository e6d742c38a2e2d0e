// `inspect`: what a file or folder is and what is inside, from headers only (never loading weights).
import fs from 'node:fs/promises';
import path from 'node:path';
import * as catboost from './catboost';
import { inflate } from './compression';
import { detectFile, detectFolder } from './detect';
import * as gguf from './gguf';
import * as hf from './hf';
import { BufferSource, FileSource, FormatError, basename, type ByteSource } from './io';
import * as keras from './keras';
import * as lightgbm from './lightgbm';
import * as numpy from './numpy';
import * as onnx from './onnx';
import * as pickle from './pickle/read';
import * as pytorch from './pytorch';
import * as safetensors from './safetensors';
import * as savedmodel from './savedmodel';
import * as tar from './tar';
import type { Detection, Inspection } from './types';
import * as xgboost from './xgboost';
import { ZipArchive } from './zip';
import { listFolder } from '../fs/listFolder';

/** Largest compressed pickle we inflate to inspect or scan (joblib.gz). */
export const MAX_INFLATED = 1 << 30;

async function withZip<T>(src: ByteSource, fn: (z: ZipArchive) => Promise<T>): Promise<T> {
  return fn(await ZipArchive.for(src));
}

function zipListing(z: ZipArchive): Record<string, unknown> {
  const es = z.entries;
  return {
    entryCount: es.length,
    uncompressedBytes: es.reduce((a, e) => a + e.size, 0),
    entries: es.slice(0, 500).map((e) => ({ name: e.name, size: e.size, compressedSize: e.compressedSize })),
    entriesTruncated: es.length > 500,
  };
}

async function jsonMeta(src: ByteSource, kind: string): Promise<Record<string, unknown>> {
  const v = await hf.readJson(src);
  switch (kind) {
    case 'hf-config':
      return hf.summarizeConfig(v);
    case 'hf-index':
      return hf.summarizeIndex(v);
    case 'hf-tokenizer':
      return hf.summarizeTokenizer(v);
    case 'xgboost':
      return xgboost.summarizeJson(v);
    case 'keras': {
      const a = keras.analyzeConfig(v);
      return { ...kerasSummary(a), variant: 'json-config' };
    }
    default:
      return { keys: v && typeof v === 'object' ? Object.keys(v).slice(0, 100) : [] };
  }
}

function kerasSummary(a: keras.ConfigAnalysis): Record<string, unknown> {
  return { className: a.className, name: a.name, layerCount: a.layerCount, layerClasses: a.layerClasses, lambdaLayers: a.lambdas.map((l) => l.layer), customObjects: a.customObjects };
}

async function metadata(src: ByteSource, det: Detection): Promise<Record<string, unknown>> {
  switch (det.format) {
    case 'gguf':
      return gguf.summarize(await gguf.read(src));
    case 'safetensors':
      return safetensors.summarize(await safetensors.read(src));
    case 'onnx':
      return onnx.summarize(await onnx.read(src));
    case 'pytorch':
    case 'torchscript':
      return withZip(src, (z) => pytorch.readZip(z));
    case 'pytorch-legacy':
      return pytorch.readLegacy(src);
    case 'pickle':
    case 'joblib': {
      if (det.compression) {
        const buf = await inflate(src, det.compression, MAX_INFLATED);
        return { compression: det.compression, inflatedBytes: buf.length, ...(await pickle.read(new BufferSource(src.name, buf))).summary };
      }
      return (await pickle.read(src)).summary;
    }
    case 'npy': {
      if (det.compression) return { compression: det.compression };
      const r = await numpy.read(src);
      return { ...r.summary, issues: r.issues.map((i) => i.message) };
    }
    case 'npz':
      return withZip(src, async (z) => ({ ...(await numpy.readNpz(z)), ...zipListing(z) }));
    case 'keras': {
      const head = await src.read(0, 4);
      if (head[0] === 0x50 && head[1] === 0x4b) {
        return withZip(src, async (z) => {
          const k = await keras.readKerasZip(z);
          return { variant: 'keras-v3', kerasVersion: k.metadata?.keras_version ?? null, dateSaved: k.metadata?.date_saved ?? null, files: k.files, ...kerasSummary(keras.analyzeConfig(k.config)) };
        });
      }
      return jsonMeta(src, 'keras');
    }
    case 'keras-h5':
    case 'hdf5': {
      const h = await keras.readH5(src);
      return { variant: 'hdf5', kerasVersion: h.kerasVersion, backend: h.backend, hasTrainingConfig: h.hasTrainingConfig, modelConfigFound: h.modelConfig !== null, ...(h.modelConfig ? kerasSummary(keras.analyzeConfig(h.modelConfig)) : {}) };
    }
    case 'tf-savedmodel': {
      if (det.variant === 'keras-metadata') return { variant: 'keras-metadata', objectCount: (await savedmodel.readKerasMetadata(src)).length };
      const s = await savedmodel.read(src);
      return { schemaVersion: s.schemaVersion, metaGraphs: s.metaGraphs, nodeCount: s.nodeCount, opHistogram: s.opHistogram };
    }
    case 'hf-config':
    case 'hf-index':
    case 'hf-tokenizer':
    case 'json':
      return jsonMeta(src, det.format);
    case 'xgboost': {
      const h = await src.read(0, 1);
      return h[0] === 0x7b && hf.match(await src.read(0, 64)) ? jsonMeta(src, 'xgboost') : xgboost.read(src);
    }
    case 'lightgbm':
      return lightgbm.read(src);
    case 'catboost':
      return catboost.read(src);
    case 'zip':
      return withZip(src, async (z) => zipListing(z));
    case 'tar': {
      if (det.compression) return { compression: det.compression };
      const es = await tar.listTar(src);
      return { entryCount: es.length, entries: es.slice(0, 500).map((e) => ({ name: e.name, type: e.type, size: e.size })), entriesTruncated: es.length > 500 };
    }
    case 'compressed':
      return { compression: det.compression ?? null };
    default:
      return {};
  }
}

/**
 * Inspects bytes already open: format (as scan detects it), then metadata; a parse failure is reported,
 * not thrown. `name` is the name the user knows the file by (a vault blob's own name is its hash).
 */
export async function inspectSource(src: ByteSource, name = basename(src.name)): Promise<Inspection> {
  const d = await detectFile(src, name);
  const base: Inspection = { format: d.format, bytes: src.size };
  if (d.compression) base.compression = d.compression;
  try {
    return { ...base, ...(await metadata(src, d)) };
  } catch (e) {
    if (e instanceof FormatError) return { ...base, error: e.message, ...(e.offset === undefined ? {} : { errorOffset: e.offset }), errorType: e.name };
    throw e;
  }
}

async function inspectFolder(dir: string, det: Detection): Promise<Inspection> {
  const entries = await listFolder(dir, 20_000);
  const files: Array<Record<string, unknown>> = [];
  for (const e of entries) {
    if (e.kind !== 'file') {
      if (e.kind === 'symlink') files.push({ path: e.rel, kind: 'symlink' });
      continue;
    }
    if (files.length >= 2000) break;
    const src = await FileSource.open(path.join(dir, e.rel));
    try {
      files.push({ path: e.rel, size: e.size, format: (await detectFile(src, path.basename(e.rel))).format });
    } finally {
      await src.close();
    }
  }
  const out: Inspection = { format: det.format, files, fileCount: entries.filter((e) => e.kind === 'file').length, bytes: entries.reduce((a, e) => a + e.size, 0) };
  const readIf = async (name: string, fn: (src: ByteSource) => Promise<unknown>): Promise<unknown> => {
    const abs = path.join(dir, name);
    const st = await fs.lstat(abs).catch(() => null);
    if (!st?.isFile()) return undefined;
    const src = await FileSource.open(abs);
    try {
      return await fn(src);
    } catch (e) {
      return { error: (e as Error).message };
    } finally {
      await src.close();
    }
  };
  if (det.format === 'tf-savedmodel') {
    out.savedModel = await readIf('saved_model.pb', async (s) => {
      const r = await savedmodel.read(s);
      return { schemaVersion: r.schemaVersion, metaGraphs: r.metaGraphs, nodeCount: r.nodeCount, opHistogram: r.opHistogram };
    });
    out.hasVariables = entries.some((e) => e.rel.startsWith('variables/'));
    out.hasKerasMetadata = entries.some((e) => e.rel === 'keras_metadata.pb');
  } else {
    const cfg = await readIf('config.json', async (s) => hf.summarizeConfig(await hf.readJson(s)));
    if (cfg !== undefined) out.config = cfg;
    const tok = await readIf('tokenizer_config.json', async (s) => hf.summarizeTokenizer(await hf.readJson(s)));
    if (tok !== undefined) out.tokenizer = tok;
    out.hasTokenizerJson = entries.some((e) => e.rel === 'tokenizer.json');
    // transformers ≥ 4.43 saves templates as files, which take precedence over tokenizer_config.json's.
    const templateFiles = entries.filter((e) => e.kind === 'file' && (e.rel === 'chat_template.jinja' || /^additional_chat_templates\/[^/]+\.jinja$/.test(e.rel)));
    if (templateFiles.length) {
      const t: Record<string, unknown> = {};
      for (const e of templateFiles.slice(0, 32)) t[e.rel] = await readIf(e.rel, async (s) => (await s.read(0, Math.min(s.size, 1 << 20))).toString('utf8'));
      out.chatTemplateFiles = t;
    }
    const indexes: Record<string, unknown> = {};
    for (const e of entries) if (e.kind === 'file' && e.rel.endsWith('.index.json') && !e.rel.includes('/')) indexes[e.rel] = await readIf(e.rel, async (s) => hf.summarizeIndex(await hf.readJson(s)));
    if (Object.keys(indexes).length) out.shardIndexes = indexes;
    const weights = files.filter((f) => ['safetensors', 'pytorch', 'pytorch-legacy', 'gguf', 'onnx', 'keras-h5', 'pickle'].includes(String(f.format)));
    out.weightFormats = [...new Set(weights.map((w) => w.format))];
  }
  return out;
}

/** `inspect PATH`: a file or a folder. */
export async function inspectPath(p: string): Promise<Inspection> {
  const st = await fs.stat(p);
  if (st.isDirectory()) return inspectFolder(p, await detectFolder(p));
  const src = await FileSource.open(p);
  try {
    return { ...(await inspectSource(src, basename(p))), name: basename(p) };
  } finally {
    await src.close();
  }
}
