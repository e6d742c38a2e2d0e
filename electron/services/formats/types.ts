// Shared vocabulary of the format readers.

export const FORMAT_IDS = [
  'gguf', 'safetensors', 'onnx', 'pytorch', 'torchscript', 'pytorch-legacy', 'pickle', 'joblib', 'npy', 'npz',
  'keras', 'keras-h5', 'hdf5', 'tf-savedmodel', 'hf-folder', 'hf-config', 'hf-index', 'hf-tokenizer',
  'xgboost', 'lightgbm', 'catboost', 'zip', 'tar', 'compressed', 'json', 'directory', 'unknown',
] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

/** What a matcher may look at besides the first bytes: the name is a hint, never the decision. */
export interface MatchContext {
  /** Base name of the file or archive member. */
  name: string;
  size: number;
}

/** The head every matcher gets: the first bytes of the file (64 KiB or less). */
export const HEAD_SIZE = 64 * 1024;

export type Compression = 'gzip' | 'zlib' | 'bzip2' | 'xz' | 'lzma' | 'lz4' | 'zstd';

export interface Detection {
  format: FormatId;
  /** The bytes were compressed with this codec (joblib.gz, .tar.gz). */
  compression?: Compression;
  /** keras_metadata.pb: a SavedModel's Keras objects (SavedMetadata proto), not a graph. */
  variant?: 'keras-metadata';
}

/** `inspect` output: the format id plus format-specific metadata (JSON-serialisable). */
export interface Inspection {
  format: FormatId;
  [key: string]: unknown;
}

/** Object.create(null) maps keep keys such as "__proto__" from untrusted JSON inert. */
export function safeRecord<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}
