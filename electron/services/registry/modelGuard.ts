// Refuses a single file that is not a model before anything is copied: `notes.txt` dropped by mistake
// must not become a model in the registry. The bytes decide (formats/detect.ts), never the extension.
// Folders and zips pass: a model folder holds READMEs and configs next to its weights.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { detectFile } from '../formats/detect';
import { FileSource, basename } from '../formats/io';
import type { FormatId } from '../formats/types';
import { HallmarkError, quote } from '../errors';
import { fileError } from './BlobStore';

/** What detection calls a file that is no model: nothing matched, JSON of no known model kind, a compressed blob of unknown content. */
const NOT_A_MODEL = new Set<FormatId>(['unknown', 'json', 'compressed']);

export const KNOWN_FORMATS = 'GGUF, safetensors, ONNX, PyTorch, pickle/joblib, Keras/HDF5, TensorFlow SavedModel, NumPy, XGBoost, LightGBM, CatBoost, or a model folder or .zip';

/** How the head of a rejected file reads, so the message says why: empty, text, or unknown bytes. */
function describeHead(head: Buffer, size: number): string {
  if (size === 0) return 'it is empty';
  let printable = 0;
  for (const b of head) if (b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc2) printable++;
  if (!head.includes(0) && printable / head.length > 0.95) return 'it reads as plain text';
  return `its first bytes (${head.subarray(0, 8).toString('hex').replace(/(..)(?!$)/g, '$1 ')}) match no model format`;
}

/**
 * Throws `not_a_model` when `p` is a single file whose bytes match no model format Hallmark knows.
 * `uploadedAs` is the name the user gave a browser upload (what the message should name).
 */
export async function refuseNonModel(p: string, uploadedAs?: string): Promise<void> {
  let st;
  try {
    st = await fsp.stat(p);
  } catch (e) {
    throw fileError(e, p);
  }
  if (!st.isFile()) return; // folders pass; other kinds are refused by planImport with their own reason
  const name = basename(uploadedAs ?? path.basename(p));
  let src: FileSource;
  try {
    src = await FileSource.open(p);
  } catch (e) {
    throw fileError(e, p);
  }
  let head: Buffer;
  let format: FormatId;
  try {
    format = (await detectFile(src, name)).format;
    head = await src.read(0, Math.min(512, src.size));
  } finally {
    await src.close();
  }
  if (!NOT_A_MODEL.has(format)) return;
  const why = format === 'json' ? 'it is JSON but no model config, index or tokenizer Hallmark knows'
    : format === 'compressed' ? 'it is compressed, and what is inside matches no model format'
    : describeHead(head, st.size);
  throw new HallmarkError('not_a_model',
    `${quote(name)} is not a model file Hallmark recognises: ${why}. Hallmark imports ${KNOWN_FORMATS}; ` +
    'import the model file or its folder (a file in a format Hallmark does not know can be registered with `hallmark import --allow-unknown`)',
    { format });
}
