// TensorFlow SavedModel (saved_model.pb): MetaGraphDefs, their GraphDef nodes and function library,
// signatures and tags. Walked field by field (tensorflow/core/protobuf/saved_model.proto,
// meta_graph.proto, graph.proto, node_def.proto, function.proto); Const tensors are stepped over.
import { finding, type Finding, type Severity } from './finding';
import { FormatError, ReadAheadSource, readExact, type ByteSource } from './io';
import { scanConfig } from './keras';
import { ProtobufError, walk, walkBuffer, type Field } from './protobuf';
import type { FormatRules } from './scanContext';
import { safeRecord, type MatchContext } from './types';

export class SavedModelError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'SavedModelError';
  }
}

/** `08 01 12 <len> 0a`: schema version 1, then a MetaGraphDef starting with its MetaInfoDef. */
export const match = (head: Buffer, ctx?: MatchContext): boolean => {
  if (head.length < 6 || head[0] !== 0x08 || head[1] !== 0x01 || head[2] !== 0x12) return ctx?.name === 'saved_model.pb' && head.length > 0 && head[0] === 0x08;
  let p = 3;
  while (p < head.length && head[p]! & 0x80) p++;
  return head[p + 1] === 0x0a;
};

export interface SavedModelNode {
  name: string;
  op: string;
  /** Which graph: `graph` or `function <name>`. */
  scope: string;
  /** Selected string attributes (output_stream of PrintV2, file_pattern…). */
  attrs: Record<string, string>;
}

export interface SavedModelInfo {
  schemaVersion: number | null;
  metaGraphs: Array<{ tags: string[]; tensorflowVersion: string | null; signatures: string[]; nodeCount: number; functionCount: number }>;
  opHistogram: Record<string, number>;
  /** Nodes whose op is in `interesting` (kept with their names for findings). */
  flagged: SavedModelNode[];
  nodeCount: number;
}

const MAX_MESSAGE = 64 << 20;
const STRING_ATTRS = new Set(['output_stream', 'file_pattern', 'filename', 'token', 'shared_name', 'container']);

export async function read(input: ByteSource, interesting: ReadonlySet<string> = new Set()): Promise<SavedModelInfo> {
  const r = new SavedModelReader(input, interesting);
  try {
    await r.savedModel();
  } catch (e) {
    if (e instanceof ProtobufError || (e instanceof FormatError && !(e instanceof SavedModelError))) throw new SavedModelError(`damaged protobuf: ${e.message}`, e.offset);
    throw e;
  }
  if (r.info.metaGraphs.length === 0) throw new SavedModelError('no MetaGraphDef found', 0);
  return r.info;
}

type MetaGraph = SavedModelInfo['metaGraphs'][number];

const text = (b: Buffer, f: Field): string => b.toString('utf8', f.start, f.start + Math.min(f.length, 4096));

/** SavedModel → MetaGraphDef → GraphDef (nodes, function library), walked from the source; nodes are decoded by hand. */
class SavedModelReader {
  readonly info: SavedModelInfo = { schemaVersion: null, metaGraphs: [], opHistogram: safeRecord(), flagged: [], nodeCount: 0 };
  private readonly src: ReadAheadSource;

  constructor(input: ByteSource, private readonly interesting: ReadonlySet<string>) {
    this.src = new ReadAheadSource(input);
  }

  private async bytes(f: Field, what: string): Promise<Buffer> {
    if (f.length > MAX_MESSAGE) throw new SavedModelError(`${what} at offset ${f.start} is ${f.length} bytes (limit ${MAX_MESSAGE})`, f.start);
    return readExact(this.src, f.start, f.length, what);
  }

  async savedModel(): Promise<void> {
    await walk(this.src, 0, this.src.size, async (f) => {
      if (f.field === 1 && f.wire === 0) this.info.schemaVersion = f.value;
      if (f.field !== 2 || f.wire !== 2) return;
      this.info.metaGraphs.push(await this.metaGraph(f));
    });
  }

  private async metaGraph(f: Field): Promise<MetaGraph> {
    const mg: MetaGraph = { tags: [], tensorflowVersion: null, signatures: [], nodeCount: 0, functionCount: 0 };
    await walk(this.src, f.start, f.start + f.length, async (m) => {
      if (m.wire !== 2) return;
      if (m.field === 1) {
        const b = await this.bytes(m, 'meta_info_def');
        walkBuffer(b, (g) => {
          if (g.wire !== 2) return;
          if (g.field === 4) mg.tags.push(text(b, g));
          if (g.field === 5) mg.tensorflowVersion = text(b, g);
        });
      } else if (m.field === 2) await this.graphDef(m.start, m.length, mg);
      else if (m.field === 5) {
        const b = await this.bytes(m, 'signature_def');
        walkBuffer(b, (g) => {
          if (g.field === 1 && g.wire === 2 && mg.signatures.length < 1000) mg.signatures.push(text(b, g));
        });
      }
    });
    return mg;
  }

  private async graphDef(start: number, length: number, mg: MetaGraph): Promise<void> {
    const src = this.src;
    await walk(src, start, start + length, async (f) => {
      if (f.wire !== 2) return;
      if (f.field === 1) {
        if (f.length > MAX_MESSAGE) await this.hugeNode(f, mg);
        else this.node(await this.bytes(f, 'node'), 'graph', mg);
      } else if (f.field === 2) {
        // FunctionDefLibrary.function = 1 → FunctionDef { signature(OpDef name=1) = 1, node_def = 3 }
        await walk(src, f.start, f.start + f.length, async (lib) => {
          if (lib.field !== 1 || lib.wire !== 2) return;
          mg.functionCount++;
          this.function(await this.bytes(lib, 'function'), mg);
        });
      }
    });
  }

  /** A node holding a huge constant: only its op matters here. */
  private async hugeNode(f: Field, mg: MetaGraph): Promise<void> {
    let op = '';
    await walk(this.src, f.start, f.start + f.length, async (g) => {
      if (g.field === 2 && g.wire === 2) op = (await readExact(this.src, g.start, Math.min(g.length, 1024), 'op')).toString('utf8');
    });
    this.info.nodeCount++;
    mg.nodeCount++;
    this.info.opHistogram[op] = (this.info.opHistogram[op] ?? 0) + 1;
  }

  private function(fb: Buffer, mg: MetaGraph): void {
    let fname = '';
    const nodes: Buffer[] = [];
    walkBuffer(fb, (g) => {
      if (g.wire !== 2) return;
      if (g.field === 1) {
        const sig = fb.subarray(g.start, g.start + g.length);
        walkBuffer(sig, (h) => {
          if (h.field === 1 && h.wire === 2) fname = text(sig, h);
        });
      } else if (g.field === 3) nodes.push(fb.subarray(g.start, g.start + g.length));
    });
    for (const n of nodes) this.node(n, `function ${fname}`, mg);
  }

  /** NodeDef: counted by op; ops of interest keep their name, scope and string attributes. */
  private node(buf: Buffer, scope: string, mg: { nodeCount: number }): void {
    const info = this.info;
    let name = '';
    let op = '';
    const attrBufs: Buffer[] = [];
    walkBuffer(buf, (f) => {
      if (f.wire !== 2) return;
      if (f.field === 1) name = text(buf, f);
      else if (f.field === 2) op = text(buf, f);
      else if (f.field === 5 && f.length < 1 << 16) attrBufs.push(buf.subarray(f.start, f.start + f.length));
    });
    info.nodeCount++;
    mg.nodeCount++;
    if (info.nodeCount > 10_000_000) throw new SavedModelError('more than 10M nodes');
    info.opHistogram[op] = (info.opHistogram[op] ?? 0) + 1;
    if (!this.interesting.has(op)) return;
    if (info.flagged.length < 10_000) info.flagged.push({ name, op, scope, attrs: stringAttrs(attrBufs) });
  }
}

/** map<string, AttrValue> entries: key = 1, value = 2 (AttrValue.s = 2); only the string attributes that name files or streams. */
function stringAttrs(attrBufs: Buffer[]): Record<string, string> {
  const attrs = safeRecord<string>();
  for (const a of attrBufs) {
    let key = '';
    let val: string | null = null;
    walkBuffer(a, (f) => {
      if (f.field === 1 && f.wire === 2) key = text(a, f);
      if (f.field === 2 && f.wire === 2) {
        const inner = a.subarray(f.start, f.start + f.length);
        walkBuffer(inner, (g) => {
          if (g.field === 2 && g.wire === 2) val = text(inner, g);
        });
      }
    });
    if (val !== null && STRING_ATTRS.has(key)) attrs[key] = val;
  }
  return attrs;
}

/** keras_metadata.pb: SavedMetadata { repeated SavedObject nodes = 1 { string metadata = 5 (JSON) } }. */
export async function readKerasMetadata(src: ByteSource): Promise<unknown[]> {
  if (src.size > MAX_MESSAGE) throw new SavedModelError(`keras_metadata.pb is ${src.size} bytes (limit ${MAX_MESSAGE})`);
  const buf = await readExact(src, 0, src.size, 'keras_metadata.pb');
  const out: unknown[] = [];
  walkBuffer(buf, (f) => {
    if (f.field !== 1 || f.wire !== 2) return;
    const obj = buf.subarray(f.start, f.start + f.length);
    walkBuffer(obj, (g) => {
      if (g.field === 5 && g.wire === 2) {
        try {
          out.push(JSON.parse(obj.toString('utf8', g.start, g.start + g.length)));
        } catch {
          /* metadata that is not JSON is ignored */
        }
      }
    });
  });
  return out;
}

// ---- scan rules ---------------------------------------------------------------------------

const TF_OPS: Record<string, { severity: Severity; rule: string; why: string }> = {
  ReadFile: { severity: 'high', rule: 'tf.file-io-op', why: 'reads any file the serving process can read' },
  WriteFile: { severity: 'high', rule: 'tf.file-io-op', why: 'writes files with the serving process permissions' },
  MatchingFiles: { severity: 'high', rule: 'tf.file-io-op', why: 'lists files on the host (glob)' },
  DeleteFile: { severity: 'high', rule: 'tf.file-io-op', why: 'deletes files' },
  WholeFileReader: { severity: 'high', rule: 'tf.file-io-op', why: 'reads whole files' },
  WholeFileReaderV2: { severity: 'high', rule: 'tf.file-io-op', why: 'reads whole files' },
  TextLineReader: { severity: 'medium', rule: 'tf.file-io-op', why: 'reads files line by line' },
  TextLineReaderV2: { severity: 'medium', rule: 'tf.file-io-op', why: 'reads files line by line' },
  FixedLengthRecordReaderV2: { severity: 'medium', rule: 'tf.file-io-op', why: 'reads files' },
  TFRecordReaderV2: { severity: 'medium', rule: 'tf.file-io-op', why: 'reads files' },
  ImmutableConst: { severity: 'medium', rule: 'tf.file-io-op', why: 'memory-maps a file by path' },
  PyFunc: { severity: 'critical', rule: 'tf.py-func', why: 'calls a Python function of the loading process' },
  PyFuncStateless: { severity: 'critical', rule: 'tf.py-func', why: 'calls a Python function of the loading process' },
  EagerPyFunc: { severity: 'critical', rule: 'tf.py-func', why: 'calls a Python function of the loading process' },
};
const TF_INTERESTING = new Set([...Object.keys(TF_OPS), 'PrintV2', 'Print']);

/** Graph ops that touch the host (files, Python); five per op and scope are enough to act on. */
export const rules: FormatRules = {
  malformed: { rule: 'tf.malformed', severity: 'medium' },
  async scan({ src, display, out }) {
    const s = await read(src, TF_INTERESTING);
    const counted = new Map<string, number>();
    for (const n of s.flagged) {
      const op = TF_OPS[n.op];
      const k = `${n.op}\0${n.scope}`;
      counted.set(k, (counted.get(k) ?? 0) + 1);
      if ((counted.get(k) ?? 0) > 5) continue;
      if (op) out.push(finding(op.severity, op.rule, display, `node ${JSON.stringify(n.name)} (${n.scope})`, `${n.op} ${op.why}`));
      else if ((n.op === 'PrintV2' || n.op === 'Print') && n.attrs.output_stream?.startsWith('file://')) {
        out.push(finding('high', 'tf.file-io-op', display, `node ${JSON.stringify(n.name)} (${n.scope})`, `${n.op} writes to ${JSON.stringify(n.attrs.output_stream)}`));
      }
    }
  },
};

/** keras_metadata.pb (known by name only: it has no magic): the Keras objects SavedModel loading rebuilds. */
export async function scanKerasMetadata(src: ByteSource, display: string): Promise<Finding[]> {
  const out: Finding[] = [];
  try {
    const objs = await readKerasMetadata(src);
    objs.forEach((o, i) => scanConfig({ class_name: 'Root', config: {}, layers: [o] }, display, `object ${i}`, out));
  } catch (e) {
    out.push(finding('medium', 'tf.malformed', display, 'file', (e as Error).message));
  }
  return out;
}
