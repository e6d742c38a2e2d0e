// ONNX reader. ModelProto and GraphProto are walked lazily (initializer bytes are stepped over, so a
// 2 GB model costs its graph, not its weights); nodes, value infos, opsets and functions are decoded
// with protobufjs against the subset of onnx.proto below (field numbers from onnx/onnx.proto3).
import type protobuf from 'protobufjs';
import { FormatError, ReadAheadSource, readExact, type ByteSource } from './io';
import { plausible, walk, walkBuffer, ProtobufError } from './protobuf';
import type { Budget } from './budget';
import { finding, type Finding } from './finding';
import type { FormatRules, SiblingLookup } from './scanContext';
import { safeRecord, type MatchContext } from './types';

export class OnnxError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'OnnxError';
  }
}

const SCHEMA = `
syntax = "proto3";
package onnx;
message StringStringEntryProto { string key = 1; string value = 2; }
message OperatorSetIdProto { string domain = 1; int64 version = 2; }
message TensorShapeProto {
  message Dimension { oneof value { int64 dim_value = 1; string dim_param = 2; } string denotation = 3; }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  message Sequence { TypeProto elem_type = 1; }
  message Map { int32 key_type = 1; TypeProto value_type = 2; }
  message Optional { TypeProto elem_type = 1; }
  message SparseTensor { int32 elem_type = 1; TensorShapeProto shape = 2; }
  oneof value { Tensor tensor_type = 1; Sequence sequence_type = 4; Map map_type = 5; Optional optional_type = 9; SparseTensor sparse_tensor_type = 8; }
  string denotation = 6;
}
message ValueInfoProto { string name = 1; TypeProto type = 2; string doc_string = 3; }
message TensorProto {
  repeated int64 dims = 1; int32 data_type = 2; string name = 8; string doc_string = 12;
  repeated StringStringEntryProto external_data = 13; int32 data_location = 14;
}
message SparseTensorProto { TensorProto values = 1; TensorProto indices = 2; repeated int64 dims = 3; }
message AttributeProto {
  string name = 1; string ref_attr_name = 21; int32 type = 20; float f = 2; int64 i = 3; bytes s = 4;
  TensorProto t = 5; GraphProto g = 6; SparseTensorProto sparse_tensor = 22;
  repeated GraphProto graphs = 11; repeated TensorProto tensors = 10; repeated bytes strings = 9;
}
message NodeProto {
  repeated string input = 1; repeated string output = 2; string name = 3; string op_type = 4; string domain = 7;
  string overload = 8; repeated AttributeProto attribute = 5;
}
message GraphProto {
  repeated NodeProto node = 1; string name = 2; repeated TensorProto initializer = 5;
  repeated SparseTensorProto sparse_initializer = 15;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message FunctionProto {
  string name = 1; repeated string input = 4; repeated string output = 5; repeated NodeProto node = 7;
  repeated OperatorSetIdProto opset_import = 9; string domain = 10; string overload = 13;
}
`;

// Loaded and compiled on first use: protobufjs takes ~10 ms to initialise, which scans and CLI runs
// that meet no ONNX file should not pay at start-up.
let types: Record<'NodeProto' | 'ValueInfoProto' | 'OperatorSetIdProto' | 'FunctionProto' | 'StringStringEntryProto', protobuf.Type> | null = null;
async function schema(): Promise<NonNullable<typeof types>> {
  if (!types) {
    const pb = (await import('protobufjs')).default;
    const root = pb.parse(SCHEMA, { keepCase: true }).root;
    const t = (n: string): protobuf.Type => root.lookupType(`onnx.${n}`);
    types = { NodeProto: t('NodeProto'), ValueInfoProto: t('ValueInfoProto'), OperatorSetIdProto: t('OperatorSetIdProto'), FunctionProto: t('FunctionProto'), StringStringEntryProto: t('StringStringEntryProto') };
  }
  return types;
}
const TO_OBJECT = { longs: Number, enums: Number, bytes: String, defaults: false, arrays: true } as const;

export const ELEM_TYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
};

// ModelProto field → wire type, for byte-level detection.
const MODEL_FIELDS: Record<number, number> = { 1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2, 25: 2, 26: 2 };

export const match = (head: Buffer, ctx?: MatchContext): boolean => {
  // ir_version first (field 1 varint, tag 0x08) is what every ONNX writer emits.
  if (head.length < 4 || head[0] !== 0x08 || head[1]! > 0x7f || head[1]! < 1 || head[1]! > 20) return false;
  if (!plausible(head, MODEL_FIELDS, 2)) return false;
  // producer_name/graph/opset must follow; a bare "08 xx" prefix is too weak on its own.
  return head[2] === 0x12 || head[2] === 0x1a || head[2] === 0x22 || head[2] === 0x3a || head[2] === 0x42 || (ctx?.name.toLowerCase().endsWith('.onnx') ?? false);
};

export interface OnnxValueInfo {
  name: string;
  type: string;
  shape: Array<number | string> | null;
}

export interface OnnxExternalRef {
  tensor: string;
  /** Where the tensor lives: an initializer, a sparse initializer's values, a node attribute, in which subgraph. */
  where: string;
  location: string;
  offset: number | null;
  length: number | null;
}

export interface OnnxIssue {
  location: string;
  message: string;
}

export interface OnnxInfo {
  irVersion: number | null;
  producerName: string | null;
  producerVersion: string | null;
  domain: string | null;
  modelVersion: number | null;
  docString: string | null;
  opsets: Array<{ domain: string; version: number }>;
  opset: number | null;
  metadata: Record<string, string>;
  graphName: string | null;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  nodeCount: number;
  opHistogram: Record<string, number>;
  /** Domains used by nodes (including subgraphs), with counts. */
  nodeDomains: Record<string, number>;
  functions: Array<{ domain: string; name: string }>;
  initializerCount: number;
  parameterCount: number;
  externalData: OnnxExternalRef[];
  maxGraphDepth: number;
  issues: OnnxIssue[];
}

export interface OnnxLimits {
  maxNodes: number;
  maxDepth: number;
  maxMessage: number;
}
const LIMITS: OnnxLimits = { maxNodes: 5_000_000, maxDepth: 32, maxMessage: 64 << 20 };

interface DecodedNode {
  op_type?: string;
  domain?: string;
  name?: string;
  attribute?: Array<{ name?: string; g?: DecodedGraph; graphs?: DecodedGraph[] }>;
}
interface DecodedGraph {
  node?: DecodedNode[];
}

const str = (b: Buffer, f: { start: number; length: number }): string => b.toString('utf8', f.start, f.start + f.length);

export async function read(input: ByteSource, limits: Partial<OnnxLimits> = {}, budget?: Budget): Promise<OnnxInfo> {
  const r = new OnnxReader(input, { ...LIMITS, ...limits }, budget, await schema());
  try {
    await r.model();
  } catch (e) {
    if (e instanceof ProtobufError || (e instanceof FormatError && !(e instanceof OnnxError))) throw new OnnxError(`damaged protobuf: ${e.message}`, e.offset);
    throw e;
  }
  return r.result();
}

const MAX_EXTERNAL = 100_000;
/** ModelProto's text fields: field number → where it goes, and its proto name (for errors). */
const MODEL_TEXT: Partial<Record<number, ['producerName' | 'producerVersion' | 'domain' | 'docString', string]>> = {
  2: ['producerName', 'producer_name'], 3: ['producerVersion', 'producer_version'], 4: ['domain', 'domain'], 6: ['docString', 'doc_string'],
};

/**
 * ModelProto read field by field from the source: small messages decoded with the schema, large ones
 * (initializers, huge Constant nodes) walked so their raw bytes are stepped over, never held.
 */
class OnnxReader {
  private readonly src: ReadAheadSource;
  private readonly info: OnnxInfo = {
    irVersion: null, producerName: null, producerVersion: null, domain: null, modelVersion: null, docString: null,
    opsets: [], opset: null, metadata: safeRecord(), graphName: null, inputs: [], outputs: [], nodeCount: 0,
    opHistogram: safeRecord(), nodeDomains: safeRecord(), functions: [], initializerCount: 0, parameterCount: 0,
    externalData: [], maxGraphDepth: 0, issues: [],
  };
  private readonly initializerNames = new Set<string>();
  private readonly graphInputs: OnnxValueInfo[] = [];

  constructor(input: ByteSource, private readonly L: OnnxLimits, private readonly budget: Budget | undefined, private readonly proto: NonNullable<typeof types>) {
    this.src = new ReadAheadSource(input);
    if (input.size > 0x7fffffff) this.info.issues.push({ location: 'file', message: `model is ${input.size} bytes; protobuf (and onnxruntime) reject single messages over 2 GiB` });
  }

  result(): OnnxInfo {
    const info = this.info;
    if (info.irVersion === null && info.nodeCount === 0 && info.opsets.length === 0) throw new OnnxError('no ONNX model fields found (ir_version, graph, opset_import)', 0);
    info.inputs = this.graphInputs.filter((i) => !this.initializerNames.has(i.name));
    info.opset = info.opsets.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? null;
    return info;
  }

  private async bytesOf(start: number, length: number, what: string): Promise<Buffer> {
    if (length > this.L.maxMessage) throw new OnnxError(`${what} at offset ${start} is ${length} bytes (limit ${this.L.maxMessage})`, start);
    return readExact(this.src, start, length, what);
  }

  private async text(start: number, length: number, max: number, what: string): Promise<string> {
    return (await this.bytesOf(start, Math.min(length, max), what)).toString('utf8');
  }

  private decode<T>(type: protobuf.Type, buf: Buffer, where: string): T {
    try {
      return type.toObject(type.decode(buf), TO_OBJECT) as T;
    } catch (e) {
      if (e instanceof RangeError || /max depth/.test((e as Error).message)) throw new OnnxError(`${where}: messages nested deeper than the protobuf recursion limit`);
      throw new OnnxError(`${where}: ${(e as Error).message}`);
    }
  }

  /** The top-level ModelProto fields. */
  async model(): Promise<void> {
    const { src, info } = this;
    const { OperatorSetIdProto, StringStringEntryProto } = this.proto;
    await walk(src, 0, src.size, async (f) => {
      if (f.wire === 0) {
        if (f.field === 1) info.irVersion = f.value;
        else if (f.field === 5) info.modelVersion = f.value;
        return;
      }
      if (f.wire !== 2) return;
      const textField = MODEL_TEXT[f.field];
      if (textField) {
        info[textField[0]] = await this.text(f.start, f.length, 4096, textField[1]);
        return;
      }
      switch (f.field) {
        case 7:
          await this.graph(f.start, f.length);
          await this.graphTensors(f.start, f.length, 0, '');
          break;
        case 8: {
          const o = this.decode<{ domain?: string; version?: number }>(OperatorSetIdProto, await this.bytesOf(f.start, f.length, 'opset_import'), 'opset_import');
          info.opsets.push({ domain: o.domain ?? '', version: o.version ?? 0 });
          break;
        }
        case 14: {
          const e = this.decode<{ key?: string; value?: string }>(StringStringEntryProto, await this.bytesOf(f.start, f.length, 'metadata_props'), 'metadata_props');
          if (Object.keys(info.metadata).length < 1000) info.metadata[e.key ?? ''] = (e.value ?? '').slice(0, 4096);
          break;
        }
        case 25:
          await this.function(f.start, f.length);
          break;
      }
    });
  }

  private async function(start: number, length: number): Promise<void> {
    const fn = this.decode<{ name?: string; domain?: string; node?: DecodedNode[] }>(this.proto.FunctionProto, await this.bytesOf(start, length, 'function'), 'function');
    this.info.functions.push({ domain: fn.domain ?? '', name: fn.name ?? '' });
    const fnWhere = `function ${JSON.stringify(fn.name ?? '')}: `;
    await walk(this.src, start, start + length, async (g) => {
      if (g.field === 7 && g.wire === 2) await this.nodeTensors(g.start, g.length, 1, fnWhere);
    });
  }

  /** The main graph: nodes (counted by op and domain), name, initializers, inputs and outputs. */
  private async graph(start: number, length: number): Promise<void> {
    const { info } = this;
    await walk(this.src, start, start + length, async (f) => {
      if (f.wire !== 2) return;
      switch (f.field) {
        case 1:
          await this.node(f.start, f.length);
          break;
        case 2:
          info.graphName = await this.text(f.start, f.length, 4096, 'graph name');
          break;
        case 5:
          await this.tensorMeta(f.start, f.length, 'initializer');
          break;
        case 11:
          if (this.graphInputs.length < 10_000) this.graphInputs.push(this.valueInfo(await this.bytesOf(f.start, f.length, 'input')));
          break;
        case 12:
          if (info.outputs.length < 10_000) info.outputs.push(this.valueInfo(await this.bytesOf(f.start, f.length, 'output')));
          break;
      }
    });
  }

  private async node(start: number, length: number): Promise<void> {
    if (length <= this.L.maxMessage) {
      this.countNode(this.decode<DecodedNode>(this.proto.NodeProto, await this.bytesOf(start, length, 'node'), `node at offset ${start}`), 0);
      return;
    }
    // Huge node (a Constant with embedded weights): take op_type/domain only.
    let op = '';
    let domain = '';
    await walk(this.src, start, start + length, async (g) => {
      if (g.field === 4 && g.wire === 2) op = await this.text(g.start, g.length, 1024, 'op_type');
      if (g.field === 7 && g.wire === 2) domain = await this.text(g.start, g.length, 1024, 'domain');
    });
    this.countNode({ op_type: op, domain }, 0);
  }

  private countNode(n: DecodedNode, depth: number): void {
    const { info, L } = this;
    if (depth > L.maxDepth) throw new OnnxError(`subgraphs nested deeper than ${L.maxDepth}`);
    info.maxGraphDepth = Math.max(info.maxGraphDepth, depth);
    if (++info.nodeCount > L.maxNodes) throw new OnnxError(`more than ${L.maxNodes} nodes`);
    const domain = n.domain && n.domain !== 'ai.onnx' ? n.domain : '';
    const key = domain ? `${domain}::${n.op_type ?? '?'}` : (n.op_type ?? '?');
    info.opHistogram[key] = (info.opHistogram[key] ?? 0) + 1;
    info.nodeDomains[domain || 'ai.onnx'] = (info.nodeDomains[domain || 'ai.onnx'] ?? 0) + 1;
    for (const a of n.attribute ?? []) {
      for (const g of [a.g, ...(a.graphs ?? [])]) if (g) for (const sub of g.node ?? []) this.countNode(sub, depth + 1);
    }
  }

  private valueInfo(buf: Buffer): OnnxValueInfo {
    const v = this.decode<{ name?: string; type?: Record<string, { elem_type?: number; shape?: { dim?: Array<{ dim_value?: number; dim_param?: string }> } }> }>(this.proto.ValueInfoProto, buf, 'value info');
    const t = v.type ?? {};
    const kind = Object.keys(t).find((k) => k.endsWith('_type')) ?? null;
    const tt = kind ? t[kind] : undefined;
    const elem = tt?.elem_type !== undefined ? (ELEM_TYPES[tt.elem_type] ?? `type${tt.elem_type}`) : null;
    const shape = tt?.shape ? (tt.shape.dim ?? []).map((d) => d.dim_value ?? d.dim_param ?? '?') : null;
    const type = kind === 'tensor_type' ? `tensor(${elem ?? '?'})` : kind ? `${kind.replace('_type', '')}(${elem ?? '…'})` : 'unknown';
    return { name: v.name ?? '', type, shape };
  }

  /** A TensorProto's name, size and external data, stepping over raw_data and the typed *_data arrays. */
  private async tensorMeta(start: number, length: number, where: string, initializer = true): Promise<void> {
    const { info } = this;
    this.budget?.tick();
    let name = '';
    let numel = 1;
    let dimsSeen = false;
    let location = 0;
    const ext: Array<{ key: string; value: string }> = [];
    await walk(this.src, start, start + length, async (f) => {
      if (f.field === 8 && f.wire === 2) name = str(await this.bytesOf(f.start, Math.min(f.length, 4096), 'tensor name'), { start: 0, length: Math.min(f.length, 4096) });
      else if (f.field === 1 && f.wire === 0) {
        numel *= f.value;
        dimsSeen = true;
      } else if (f.field === 1 && f.wire === 2) {
        walkBufferVarints(await this.bytesOf(f.start, f.length, 'dims'), (v) => {
          numel *= v;
          dimsSeen = true;
        });
      } else if (f.field === 14 && f.wire === 0) location = f.value;
      else if (f.field === 13 && f.wire === 2) ext.push(this.decode(this.proto.StringStringEntryProto, await this.bytesOf(f.start, f.length, 'external_data'), 'external_data'));
    });
    if (initializer) {
      this.initializerNames.add(name);
      info.initializerCount++;
      info.parameterCount += dimsSeen ? numel : 1;
    }
    // onnx.load reads external data for every tensor with data_location EXTERNAL (and ORT for any tensor
    // carrying external_data entries): both count.
    if (location === 1 || ext.length) {
      // ExternalDataInfo: setattr per entry, so the last entry of a key wins.
      const kv = new Map(ext.map((e) => [e.key ?? '', e.value ?? '']));
      const num = (k: string): number | null => (kv.has(k) && /^\d+$/.test(kv.get(k)!) ? Number(kv.get(k)) : null);
      if (info.externalData.length < MAX_EXTERNAL) info.externalData.push({ tensor: name, where: `${where} ${JSON.stringify(name)}`, location: kv.get('location') ?? '', offset: num('offset'), length: num('length') });
      else if (info.externalData.length === MAX_EXTERNAL && !info.issues.some((i) => i.location === 'external data')) info.issues.push({ location: 'external data', message: `not fully scanned: more than ${MAX_EXTERNAL} tensors use external data; the rest were not checked` });
    }
  }

  // Tensors live in more places than initializers: sparse initializers (values and indices), node
  // attributes (t, tensors, sparse_tensor — Constant's value among them) and every subgraph (If, Loop,
  // Scan, any op's g/graphs) and function body. Walked lazily, depth-bounded, so raw bytes are skipped.
  private async sparse(start: number, length: number, where: string): Promise<void> {
    await walk(this.src, start, start + length, async (f) => {
      if (f.wire !== 2) return;
      if (f.field === 1) await this.tensorMeta(f.start, f.length, `${where} values`, false);
      else if (f.field === 2) await this.tensorMeta(f.start, f.length, `${where} indices`, false);
    });
  }

  private async nodeTensors(start: number, length: number, depth: number, fn: string): Promise<void> {
    this.budget?.tick();
    let nodeName = '';
    let op = '';
    const attrs: Array<{ start: number; length: number }> = [];
    await walk(this.src, start, start + length, async (f) => {
      if (f.wire !== 2) return;
      if (f.field === 3) nodeName = await this.text(f.start, f.length, 1024, 'node name');
      else if (f.field === 4) op = await this.text(f.start, f.length, 1024, 'op_type');
      else if (f.field === 5) attrs.push({ start: f.start, length: f.length });
    });
    const nodeWhere = `${fn}node ${JSON.stringify(nodeName)} (${op || '?'})`;
    for (const a of attrs) await this.attributeTensors(a.start, a.length, depth, nodeWhere);
  }

  private async attributeTensors(start: number, length: number, depth: number, nodeWhere: string): Promise<void> {
    let attrName = '';
    await walk(this.src, start, start + length, async (f) => {
      if (f.field === 1 && f.wire === 2) attrName = await this.text(f.start, f.length, 1024, 'attribute name');
    });
    const where = `attribute ${JSON.stringify(attrName)} of ${nodeWhere}:`;
    await walk(this.src, start, start + length, async (f) => {
      if (f.wire !== 2) return;
      if (f.field === 5 || f.field === 10) await this.tensorMeta(f.start, f.length, `${where} tensor`, false);
      else if (f.field === 22) await this.sparse(f.start, f.length, `${where} sparse tensor`);
      else if (f.field === 6 || f.field === 11) await this.graphTensors(f.start, f.length, depth + 1, `subgraph in ${where} `);
    });
  }

  private async graphTensors(start: number, length: number, depth: number, prefix: string): Promise<void> {
    if (depth > this.L.maxDepth) throw new OnnxError(`subgraphs nested deeper than ${this.L.maxDepth}`, start);
    await walk(this.src, start, start + length, async (f) => {
      if (f.wire !== 2) return;
      if (f.field === 1) await this.nodeTensors(f.start, f.length, depth, prefix);
      else if (f.field === 5 && depth > 0) await this.tensorMeta(f.start, f.length, `${prefix}initializer`, false);
      else if (f.field === 15) await this.sparse(f.start, f.length, `${prefix}sparse initializer`);
    });
  }
}

function walkBufferVarints(buf: Buffer, each: (v: number) => void): void {
  // Packed repeated int64: a run of varints.
  let p = 0;
  while (p < buf.length) {
    let v = 0;
    let mul = 1;
    let b: number;
    let i = 0;
    do {
      if (p >= buf.length) throw new ProtobufError(`truncated packed varint at ${p}`, p);
      b = buf[p++]!;
      v += (b & 0x7f) * mul;
      mul *= 128;
    } while (b & 0x80 && ++i < 10);
    each(v);
  }
}

export { walkBuffer };

export function summarize(info: OnnxInfo): Record<string, unknown> {
  return {
    irVersion: info.irVersion,
    opset: info.opset,
    opsets: info.opsets,
    producerName: info.producerName,
    producerVersion: info.producerVersion,
    domain: info.domain,
    modelVersion: info.modelVersion,
    docString: info.docString,
    metadata: info.metadata,
    graphName: info.graphName,
    inputs: info.inputs,
    outputs: info.outputs,
    nodeCount: info.nodeCount,
    opHistogram: info.opHistogram,
    functions: info.functions,
    initializerCount: info.initializerCount,
    parameterCount: info.parameterCount,
    externalData: info.externalData.slice(0, 1000),
    issues: info.issues,
  };
}

/**
 * Why an external-data location leaves the model's folder, or null. onnx joins it to the model's folder
 * (os.path.join, so an absolute path replaces the folder) and the runtimes do the same on every OS:
 * POSIX absolute paths, Windows drives (also drive-relative "C:x"), UNC and device paths ("\\\\host\\share",
 * "//host", "\\\\?\\C:"), and ".." with either separator are all ways out. Links are resolved on disk.
 */
export function locationProblem(loc: string): string | null {
  if (loc.includes('\0')) return 'contains a NUL byte';
  if (/^[\\/]{2}/.test(loc)) return 'is a UNC or device path';
  if (/^[a-zA-Z]:/.test(loc)) return 'names a Windows drive';
  if (/^[\\/]/.test(loc)) return 'is absolute';
  let depth = 0;
  for (const s of loc.split(/[\\/]+/)) {
    if (s === '..') depth--;
    else if (s !== '.' && s !== '') depth++;
    if (depth < 0) return 'climbs out with ".."';
  }
  return null;
}

// ---- scan rules ---------------------------------------------------------------------------

/** ONNX domains every runtime ships (plus ORT's contrib ops); others need a native custom-op library. */
const STANDARD_DOMAINS = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'ai.onnx.training', 'ai.onnx.preview.training', 'ai.onnx.preview', 'com.microsoft', 'com.microsoft.nchwc', 'com.microsoft.experimental', 'com.ms.internal.nhwc', 'org.pytorch.aten', 'com.microsoft.dml']);
/** Distinct external data files resolved on disk per model. */
const MAX_LOOKUPS = 10_000;

export const rules: FormatRules = {
  malformed: { rule: 'onnx.malformed', severity: 'medium' },
  // Protobuf limits are what the runtime refuses too: a limit, not damage.
  damage: (e, display, location) => (/limit|deeper than|more than/.test(e.message) ? finding('medium', 'onnx.limits', display, location, e.message) : null),
  async scan(s) {
    const m = await read(s.src, {}, s.budget);
    for (const i of m.issues) s.out.push(finding('medium', 'onnx.limits', s.display, i.location, i.message));
    customDomains(m, s.display, s.out);
    await externalData(m, s.display, s.sibling, s.budget, s.out);
  },
};

function customDomains(m: OnnxInfo, display: string, out: Finding[]): void {
  const local = new Set(m.functions.map((f) => f.domain));
  for (const [domain, count] of Object.entries(m.nodeDomains)) {
    if (STANDARD_DOMAINS.has(domain) || local.has(domain)) continue;
    const ops = Object.keys(m.opHistogram).filter((k) => k.startsWith(`${domain}::`)).map((k) => k.slice(domain.length + 2));
    out.push(finding('medium', 'onnx.custom-domain', display, `domain ${JSON.stringify(domain)}`, `${count} node(s) use custom-op domain ${JSON.stringify(domain)} (${ops.slice(0, 10).join(', ')}): running the model requires loading a native custom-op library`));
  }
}

/** Every external data reference: where it points, and whether the file there can hold it. */
async function externalData(m: OnnxInfo, display: string, sibling: SiblingLookup | null, budget: Budget, out: Finding[]): Promise<void> {
  // Disk lookups once per distinct file: exports with one file per tensor name thousands of them.
  const looked = new Map<string, Awaited<ReturnType<SiblingLookup>>>();
  let unchecked = 0;
  for (const r of m.externalData) {
    budget.tick();
    const where = r.where;
    if (!r.location) {
      out.push(finding('medium', 'onnx.external-data-range', display, where, 'external data without a location'));
      continue;
    }
    const esc = locationProblem(r.location);
    if (esc) {
      out.push(finding('high', 'onnx.external-data-escape', display, where, `external data location ${JSON.stringify(r.location)} ${esc}: the runtime reads whatever file that resolves to`));
      continue;
    }
    if (!sibling) continue;
    let target = looked.get(r.location);
    if (target === undefined) {
      if (looked.size >= MAX_LOOKUPS) {
        unchecked++;
        continue;
      }
      target = await sibling(r.location);
      looked.set(r.location, target);
    }
    if (target === 'outside') {
      out.push(finding('high', 'onnx.external-data-escape', display, where, `external data ${JSON.stringify(r.location)} resolves through a link to a file outside the model folder`));
      continue;
    }
    if (!target) {
      out.push(finding('low', 'onnx.external-data-range', display, where, `external data file ${JSON.stringify(r.location)} is missing`));
      continue;
    }
    // A hard link is the same file as one elsewhere on the disk: what it holds is not the model folder's to vouch for.
    if ((target.links ?? 1) > 1) out.push(finding('medium', 'onnx.external-data-escape', display, where, `external data file ${JSON.stringify(r.location)} has ${target.links} hard links: its bytes are also a file elsewhere (onnx ≥ 1.20 refuses it)`));
    const end = (r.offset ?? 0) + (r.length ?? 0);
    if (r.length !== null && end > target.size) out.push(finding('low', 'onnx.external-data-range', display, where, `external data [${r.offset ?? 0}, ${end}) is past the end of ${JSON.stringify(r.location)} (${target.size} bytes)`));
  }
  if (unchecked) out.push(finding('medium', 'file.unscannable', display, 'external data', `not fully scanned: external data names more than ${MAX_LOOKUPS} files; ${unchecked} reference(s) were not resolved`));
}
