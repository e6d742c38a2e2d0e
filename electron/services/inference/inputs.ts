import { createHash } from 'node:crypto';
import path from 'node:path';
import type { OnnxTensorInput, OnnxValueInfo } from '../../../native/OnnxRuntime';
import { HallmarkError } from '../errors';

export type OnnxFeeds = Record<string, OnnxTensorInput>;

/** sha256 of a canonical JSON encoding (sorted keys), so equal inputs hash equal across runs. */
export function hashInputs(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(v: unknown): string {
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return canonicalJson(Array.from(v as unknown as ArrayLike<unknown>, (x) => (typeof x === 'bigint' ? x.toString() : x)));
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** Largest constant tensor {dims, fill} builds (16 Mi elements, 64 MiB as float32). */
const MAX_FILL = 16 * 1024 * 1024;

const bad = (msg: string): never => {
  throw new HallmarkError('invalid_input', msg);
};

/** Dims of a rectangular nested array ([[1,2],[3,4]] → [2, 2]); throws on ragged input. */
function nestedDims(v: unknown, where: string): number[] {
  if (!Array.isArray(v)) return [];
  if (!v.length) return [0];
  const inner = nestedDims(v[0], `${where}[0]`);
  v.forEach((x, i) => {
    const d = nestedDims(x, `${where}[${i}]`);
    if (d.length !== inner.length || d.some((n, j) => n !== inner[j])) bad(`${where} is not rectangular: row ${i} has shape [${d.join(', ')}], row 0 has [${inner.join(', ')}]`);
  });
  return [v.length, ...inner];
}

/**
 * One input's JSON value → tensor: a nested array, a scalar, {dims, data, type?} or {dims, fill, type?}. A value one
 * rank short of a model input whose first dimension is dynamic gets a batch of 1.
 */
function tensorFromJson(name: string, v: unknown, meta: OnnxValueInfo | undefined): OnnxTensorInput {
  let t: OnnxTensorInput;
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as { dims?: unknown; shape?: unknown; data?: unknown; fill?: unknown; type?: unknown };
    const dims = o.dims ?? o.shape;
    const fill = o.fill;
    if (Array.isArray(dims) && o.data === undefined && (typeof fill === 'number' || typeof fill === 'boolean' || typeof fill === 'string')) {
      // {dims, fill}: a constant tensor (zeros for a recurrent state, an attention mask of ones) without
      // typing every element; the size is checked before anything is allocated.
      if (!dims.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) return bad(`input "${name}": "dims" must be non-negative integers, got ${JSON.stringify(dims).slice(0, 80)}`);
      const n = (dims as number[]).reduce((a, b) => a * b, 1);
      if (n > MAX_FILL) return bad(`input "${name}": {dims, fill} of ${n} elements is over the ${MAX_FILL} limit`);
      t = { dims: dims as number[], data: new Array(n).fill(fill) as number[], ...(typeof o.type === 'string' ? { type: o.type as OnnxTensorInput['type'] & string } : {}) };
    } else {
      if (!Array.isArray(dims) || !Array.isArray(o.data)) return bad(`input "${name}": an object value needs "dims" (array) and "data" (flat array), or "dims" and a constant "fill"`);
      t = { dims: dims as number[], data: o.data as number[], ...(typeof o.type === 'string' ? { type: o.type as OnnxTensorInput['type'] & string } : {}) };
    }
  } else if (Array.isArray(v)) {
    t = { dims: nestedDims(v, `input "${name}"`), data: (v as unknown[]).flat(Infinity) as number[] };
  } else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') {
    t = { dims: [], data: [v] as number[] };
  } else {
    return bad(`input "${name}": expected a number, an array or {dims, data}, got ${v === null ? 'null' : typeof v}`);
  }
  if (meta && meta.shape.length === t.dims.length + 1 && typeof meta.shape[0] !== 'number') t = { ...t, dims: [1, ...t.dims] };
  return t;
}

/**
 * Inputs given as JSON: {"x": [[…]], …}, or a bare array/value when the model has one input.
 */
export function onnxInputsFromJson(json: unknown, inputs: OnnxValueInfo[]): OnnxFeeds {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    if (inputs.length !== 1) return bad(`the model has ${inputs.length} inputs (${inputs.map((i) => `"${i.name}"`).join(', ')}); give an object mapping each input name to its value`);
    return { [inputs[0]!.name]: tensorFromJson(inputs[0]!.name, json, inputs[0]) };
  }
  const feeds: OnnxFeeds = {};
  for (const [name, v] of Object.entries(json as Record<string, unknown>)) feeds[name] = tensorFromJson(name, v, inputs.find((i) => i.name === name));
  return feeds;
}

/** Splits one CSV line (RFC 4180 quotes). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (q) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/**
 * A CSV batch: one row per sample, one column per feature, optional header row. Feeds the model's
 * only input (or `inputName`) as [rows, columns], reshaped to the input's fixed trailing dims.
 */
export function onnxInputsFromCsv(csv: string, inputs: OnnxValueInfo[], inputName?: string): OnnxFeeds {
  const target = inputName ? inputs.find((i) => i.name === inputName) : inputs.length === 1 ? inputs[0] : undefined;
  if (!target) {
    return bad(inputName
      ? `the model has no input "${inputName}"; its inputs are ${inputs.map((i) => `"${i.name}"`).join(', ')}`
      : `a CSV batch feeds one input, but the model has ${inputs.length} (${inputs.map((i) => `"${i.name}"`).join(', ')}); name one or use JSON`);
  }
  const lines = csv.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (!lines.length) return bad('the CSV input is empty');
  let rows = lines.map(splitCsvLine);
  const isNum = (s: string) => s !== '' && Number.isFinite(Number(s));
  if (rows[0]!.some((c) => !isNum(c))) rows = rows.slice(1); // header
  if (!rows.length) return bad('the CSV input has a header but no rows');
  const cols = rows[0]!.length;
  const data: number[] = [];
  rows.forEach((r, i) => {
    if (r.length !== cols) bad(`CSV row ${i + 1} has ${r.length} columns, the first row has ${cols}`);
    r.forEach((c, j) => {
      if (!isNum(c)) bad(`CSV row ${i + 1}, column ${j + 1}: ${JSON.stringify(c)} is not a number`);
      data.push(Number(c));
    });
  });
  let dims = [rows.length, cols];
  const trailing = target.shape.slice(1);
  if (trailing.length > 1 && trailing.every((d) => typeof d === 'number' && d > 0)) {
    const per = (trailing as number[]).reduce((a, b) => a * b, 1);
    if (per === cols) dims = [rows.length, ...(trailing as number[])];
  }
  return { [target.name]: { dims, data } };
}

/** Reads an input file's text as JSON or CSV by its extension (or content when unclear). */
export function onnxInputsFromText(text: string, fileName: string, inputs: OnnxValueInfo[], inputName?: string): OnnxFeeds {
  const ext = path.extname(fileName).toLowerCase();
  const looksJson = /^\s*[[{]/.test(text);
  if (ext === '.csv' || (ext !== '.json' && !looksJson)) return onnxInputsFromCsv(text, inputs, inputName);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return bad(`${path.basename(fileName)} is not valid JSON: ${(e as Error).message}`);
  }
  return onnxInputsFromJson(inputName && (Array.isArray(json) || typeof json !== 'object') ? { [inputName]: json } : json, inputs);
}

/** Rows in the batch: the first dimension of the first input. */
export function batchSizeOf(feeds: OnnxFeeds): number {
  const first = Object.values(feeds)[0];
  return first && first.dims.length ? first.dims[0]! : 1;
}
