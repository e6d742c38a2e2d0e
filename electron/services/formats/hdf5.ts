// A minimal HDF5 reader: the attributes of the root group, read the way the HDF5 library reads them
// (Keras keeps its architecture in the root attribute `model_config`). Superblock v0–v3 (after a user
// block of 0, 512, 1024… bytes), object headers v1 and v2 with continuation blocks, attribute messages
// v1–v3 in the object header (compact) or in dense storage (fractal heap + v2 B-tree name index), fixed
// and variable-length strings (global heap). Every address and size comes from the file: each is
// checked against the file size and caps before it is read, visited blocks are remembered (no cycles)
// and loops tick the per-file budget. What it cannot follow is reported, never guessed.
import type { Budget } from './budget';
import { FormatError, ReadAheadSource, readExact, type ByteSource } from './io';

export class Hdf5Error extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'Hdf5Error';
  }
}

export const SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
const UNDEF = -1;
const MAX_MESSAGES = 65_536;
const MAX_BLOCKS = 4096;
const MAX_ATTR_BYTES = 64 << 20;
const MAX_ATTRIBUTES = 10_000;

export interface H5Attribute {
  name: string;
  /** Decoded text for string attributes (fixed or variable length; first element of an array); else null. */
  value: string | null;
  /** Why the value could not be read, when it could not. */
  problem?: string;
  /** File offset of the attribute message. */
  offset: number;
}

export interface H5Root {
  superblockOffset: number;
  superblockVersion: number;
  attributes: H5Attribute[];
  /** Structures the reader could not follow (each one a place a value may hide). */
  issues: string[];
}

/** Where the superblock is: offset 0 or a power of two from 512 (what H5Fopen searches). */
export async function findSuperblock(src: ByteSource): Promise<number | null> {
  for (let at = 0; at + 8 <= src.size; at = at === 0 ? 512 : at * 2) {
    const b = await src.read(at, 8);
    if (b.equals(SIGNATURE)) return at;
  }
  return null;
}

// Every fixed-width field goes through these: a structure shorter than its fields is this format's
// own error quoting where, never Node's RangeError (found by fuzzing a cut-short object header).
function field(b: Buffer, p: number, n: number): void {
  if (!(p >= 0 && p + n <= b.length)) throw new Hdf5Error(`field of ${n} bytes at ${p} runs past its ${b.length}-byte structure`);
}
const u16 = (b: Buffer, p: number): number => (field(b, p, 2), b.readUInt16LE(p));
const u32 = (b: Buffer, p: number): number => (field(b, p, 4), b.readUInt32LE(p));
const u64 = (b: Buffer, p: number): bigint => (field(b, p, 8), b.readBigUInt64LE(p));

class Reader {
  readonly src: ByteSource;
  offSize = 8;
  lenSize = 8;
  base = 0;
  private readonly visited = new Set<number>();
  constructor(src: ByteSource, private readonly budget?: Budget) {
    this.src = new ReadAheadSource(src, 1 << 16);
  }

  tick(): void {
    this.budget?.tick();
  }

  /** Reads `len` bytes at a file address (relative to the base), checked against the file. */
  async at(addr: number, len: number, what: string): Promise<Buffer> {
    const abs = this.base + addr;
    if (addr === UNDEF || !Number.isSafeInteger(abs) || abs < 0 || len < 0 || abs + len > this.src.size) {
      throw new Hdf5Error(`${what} at address ${addr} (+${len} bytes) lies outside the ${this.src.size}-byte file`, abs);
    }
    if (len > MAX_ATTR_BYTES) throw new Hdf5Error(`${what} at address ${addr} claims ${len} bytes (limit ${MAX_ATTR_BYTES})`, abs);
    this.budget?.charge(len, `HDF5 ${what}`);
    return readExact(this.src, abs, len, what);
  }

  /** Each structure is read once: a second visit is a cycle planted to loop the reader. */
  once(addr: number, what: string): void {
    if (this.visited.has(addr)) throw new Hdf5Error(`${what} at address ${addr} is reached twice (a cycle)`, this.base + addr);
    if (this.visited.size >= MAX_BLOCKS) throw new Hdf5Error(`more than ${MAX_BLOCKS} HDF5 blocks on the way to the root attributes`);
    this.visited.add(addr);
  }

  uint(b: Buffer, p: number, n: number): number {
    if (p + n > b.length) throw new Hdf5Error(`field of ${n} bytes at ${p} runs past its ${b.length}-byte structure`);
    let all = true;
    for (let i = 0; i < n; i++) if (b[p + i] !== 0xff) all = false;
    if (all) return UNDEF;
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + b[p + i]!;
    return Number.isSafeInteger(v) ? v : Number.MAX_SAFE_INTEGER;
  }
}

interface Message {
  type: number;
  data: Buffer;
  offset: number;
}

/** Reads the root group's attributes. */
export async function readRootAttributes(input: ByteSource, budget?: Budget): Promise<H5Root> {
  const sb = await findSuperblock(input);
  if (sb === null) throw new Hdf5Error('no HDF5 signature at offset 0 or any power of two from 512', 0);
  const r = new Reader(input, budget);
  const head = await readExact(r.src, sb, Math.min(r.src.size - sb, 256), 'superblock');
  const version = head[8]!;
  const out: H5Root = { superblockOffset: sb, superblockVersion: version, attributes: [], issues: [] };
  let rootHeader: number;
  r.base = sb;
  if (version === 0 || version === 1) {
    r.offSize = head[13]!;
    r.lenSize = head[14]!;
    checkSizes(r);
    let p = 24 + (version === 1 ? 4 : 0);
    const base = r.uint(head, p, r.offSize);
    if (base !== UNDEF && base !== 0 && base !== sb) out.issues.push(`superblock base address ${base} differs from its position ${sb}`);
    p += r.offSize * 4; // base, free-space info, end of file, driver info
    // Root group symbol table entry: link name offset, object header address, cache type…
    rootHeader = r.uint(head, p + r.offSize, r.offSize);
  } else if (version === 2 || version === 3) {
    r.offSize = head[9]!;
    r.lenSize = head[10]!;
    checkSizes(r);
    rootHeader = r.uint(head, 12 + r.offSize * 3, r.offSize);
  } else throw new Hdf5Error(`superblock version ${version} is not one of 0–3`, sb + 8);
  if (rootHeader === UNDEF) throw new Hdf5Error('the root group has no object header address', sb);

  const messages = await objectHeader(r, rootHeader);
  for (const m of messages) {
    r.tick();
    if (out.attributes.length >= MAX_ATTRIBUTES) break;
    if (m.type === 0x0c) out.attributes.push(await attribute(r, m.data, m.offset, out.issues));
    else if (m.type === 0x15) await denseAttributes(r, m.data, m.offset, out);
  }
  return out;
}

function checkSizes(r: Reader): void {
  if (![2, 4, 8].includes(r.offSize) || ![2, 4, 8].includes(r.lenSize)) throw new Hdf5Error(`superblock declares ${r.offSize}-byte offsets and ${r.lenSize}-byte lengths (2, 4 or 8 expected)`);
}

/** All messages of an object header (v1 or v2), continuation blocks followed. */
async function objectHeader(r: Reader, addr: number): Promise<Message[]> {
  r.once(addr, 'object header');
  const first = await r.at(addr, Math.min(16, r.src.size - r.base - addr), 'object header');
  const out: Message[] = [];
  const pending: Array<{ addr: number; len: number }> = [];
  let v2 = false;
  let v2flags = 0; // continuation blocks share the header's flags
  if (first.subarray(0, 4).toString('latin1') === 'OHDR') {
    v2 = true;
    const flags = first[5]!;
    let p = 6 + (flags & 0x20 ? 16 : 0) + (flags & 0x10 ? 4 : 0);
    const sizeBytes = 1 << (flags & 3);
    const pre = await r.at(addr, p + sizeBytes, 'object header prefix');
    const chunk = r.uint(pre, p, sizeBytes);
    p += sizeBytes;
    v2flags = flags;
    await messagesV2(r, await r.at(addr + p, chunk, 'object header chunk'), r.base + addr + p, flags, out, pending);
  } else if (first[0] === 1) {
    const size = u32(first, 8);
    // v1 prefix: 12 bytes, messages start 8-aligned (at 16)
    await messagesV1(r, await r.at(addr + 16, size, 'object header messages'), r.base + addr + 16, out, pending);
  } else throw new Hdf5Error(`object header at address ${addr} has version ${first[0]} and no OHDR signature`, r.base + addr);
  while (pending.length) {
    r.tick();
    const c = pending.shift()!;
    r.once(c.addr, 'continuation block');
    const block = await r.at(c.addr, c.len, 'continuation block');
    if (v2) {
      if (block.subarray(0, 4).toString('latin1') !== 'OCHK') throw new Hdf5Error(`continuation block at address ${c.addr} lacks its OCHK signature`, r.base + c.addr);
      await messagesV2(r, block.subarray(4, Math.max(4, block.length - 4)), r.base + c.addr + 4, v2flags, out, pending);
    } else await messagesV1(r, block, r.base + c.addr, out, pending);
  }
  return out;
}

function continuation(r: Reader, m: Message, pending: Array<{ addr: number; len: number }>): void {
  const addr = r.uint(m.data, 0, r.offSize);
  const len = r.uint(m.data, r.offSize, r.lenSize);
  if (addr === UNDEF || len === UNDEF) throw new Hdf5Error('continuation message with an undefined address or length', m.offset);
  pending.push({ addr, len });
}

async function messagesV1(r: Reader, b: Buffer, at: number, out: Message[], pending: Array<{ addr: number; len: number }>): Promise<void> {
  let p = 0;
  while (p + 8 <= b.length) {
    r.tick();
    const type = u16(b, p);
    const size = u16(b, p + 2);
    if (p + 8 + size > b.length) throw new Hdf5Error(`message of type ${type} at offset ${at + p} declares ${size} bytes, past its header block`, at + p);
    const m = { type, data: b.subarray(p + 8, p + 8 + size), offset: at + p };
    if (out.length >= MAX_MESSAGES) throw new Hdf5Error(`more than ${MAX_MESSAGES} object header messages`, at + p);
    if (type === 0x10) continuation(r, m, pending);
    else out.push(m);
    p += 8 + size;
    p = (p + 7) & ~7;
  }
}

async function messagesV2(r: Reader, b: Buffer, at: number, flags: number, out: Message[], pending: Array<{ addr: number; len: number }>): Promise<void> {
  const hdr = 4 + (flags & 0x04 ? 2 : 0);
  let p = 0;
  while (p + hdr <= b.length) {
    r.tick();
    const type = b[p]!;
    const size = u16(b, p + 1);
    if (p + hdr + size > b.length) throw new Hdf5Error(`message of type ${type} at offset ${at + p} declares ${size} bytes, past its header chunk`, at + p);
    const m = { type, data: b.subarray(p + hdr, p + hdr + size), offset: at + p };
    if (out.length >= MAX_MESSAGES) throw new Hdf5Error(`more than ${MAX_MESSAGES} object header messages`, at + p);
    if (type === 0x10) continuation(r, m, pending);
    else if (type !== 0) out.push(m);
    p += hdr + size;
  }
}

/** An attribute message (v1–v3): its name and, for string types, its value. */
async function attribute(r: Reader, d: Buffer, offset: number, issues: string[]): Promise<H5Attribute> {
  const version = d[0]!;
  if (version < 1 || version > 3) throw new Hdf5Error(`attribute message version ${version} is not 1–3`, offset);
  const flags = d[1]!;
  const nameSize = u16(d, 2);
  const typeSize = u16(d, 4);
  const spaceSize = u16(d, 6);
  const pad = (n: number): number => (version === 1 ? (n + 7) & ~7 : n);
  let p = version === 3 ? 9 : 8;
  if (p + pad(nameSize) + pad(typeSize) + pad(spaceSize) > d.length) throw new Hdf5Error(`attribute message declares ${nameSize}+${typeSize}+${spaceSize} bytes of name, type and space, past its ${d.length} bytes`, offset);
  const name = d.toString('utf8', p, p + nameSize).replace(/\0+$/, '');
  p += pad(nameSize);
  const type = d.subarray(p, p + typeSize);
  p += pad(typeSize);
  const space = d.subarray(p, p + spaceSize);
  p += pad(spaceSize);
  const a: H5Attribute = { name, value: null, offset };
  if (flags & 0x03) {
    a.problem = 'its datatype or dataspace is a shared message';
    issues.push(`attribute ${JSON.stringify(name)}: ${a.problem}, not followed`);
    return a;
  }
  const count = elements(space);
  if (count === 0) return a;
  const cls = type[0]! & 0x0f;
  const size = type.length >= 8 ? u32(type, 4) : 0;
  const data = d.subarray(p);
  if (cls === 3) {
    // Fixed-length string: the first element's bytes, up to the first NUL (null-terminated/padded).
    if (size > data.length) throw new Hdf5Error(`attribute ${JSON.stringify(name)} declares a ${size}-byte string but holds ${data.length} bytes`, offset);
    const s = data.subarray(0, size);
    const z = (type[1]! & 0x0f) === 2 ? s.length : s.indexOf(0); // space-padded strings keep their NULs
    a.value = s.toString('utf8', 0, z === -1 ? s.length : z);
  } else if (cls === 9) {
    // Variable-length: per element a length, then a global heap id (collection address, object index).
    if (4 + r.offSize + 4 > data.length) throw new Hdf5Error(`attribute ${JSON.stringify(name)} holds ${data.length} bytes, too few for a variable-length reference`, offset);
    const len = u32(data, 0);
    const coll = r.uint(data, 4, r.offSize);
    const index = u32(data, 4 + r.offSize);
    try {
      const obj = await globalHeapObject(r, coll, index);
      a.value = obj.subarray(0, Math.min(len, obj.length)).toString('utf8');
    } catch (e) {
      if (!(e instanceof Hdf5Error)) throw e;
      a.problem = e.message;
      issues.push(`attribute ${JSON.stringify(name)}: ${e.message}`);
    }
  }
  return a;
}

/** Element count of a dataspace message (scalar: 1, null: 0). */
function elements(s: Buffer): number {
  const version = s[0]!;
  const rank = s[1]!;
  if (version === 2 && s[3] === 2) return 0;
  if (rank === 0) return 1;
  const p = version === 1 ? 8 : 4;
  let n = 1;
  for (let i = 0; i < rank && p + i * 8 + 8 <= s.length; i++) n *= Number(u64(s, p + i * 8));
  return n;
}

/** One object of a global heap collection ("GCOL"). */
async function globalHeapObject(r: Reader, addr: number, index: number): Promise<Buffer> {
  const head = await r.at(addr, 8 + r.lenSize, 'global heap collection');
  if (head.subarray(0, 4).toString('latin1') !== 'GCOL') throw new Hdf5Error(`global heap collection at address ${addr} lacks its GCOL signature`, r.base + addr);
  const size = r.uint(head, 8, r.lenSize);
  if (size === UNDEF) throw new Hdf5Error(`global heap collection at address ${addr} has an undefined size`, r.base + addr);
  const coll = await r.at(addr, Math.min(size, r.src.size - r.base - addr), 'global heap collection');
  let p = 8 + r.lenSize;
  while (p + 8 + r.lenSize <= coll.length) {
    r.tick();
    const i = u16(coll, p);
    const osize = r.uint(coll, p + 8, r.lenSize);
    if (i === 0) break; // free space: the rest of the collection
    const start = p + 8 + r.lenSize;
    if (osize === UNDEF || start + osize > coll.length) throw new Hdf5Error(`global heap object ${i} at address ${addr} declares ${osize} bytes, past its collection`, r.base + addr + p);
    if (i === index) return coll.subarray(start, start + osize);
    p = start + ((osize + 7) & ~7);
  }
  throw new Hdf5Error(`global heap collection at address ${addr} has no object ${index}`, r.base + addr);
}

// ---- dense attribute storage: a fractal heap holds the messages, a v2 B-tree indexes their names

interface FractalHeap {
  addr: number;
  idLen: number;
  maxDirect: number;
  startBlock: number;
  width: number;
  maxHeapBits: number;
  rootAddr: number;
  rootRows: number;
  checksummed: boolean;
  filtered: boolean;
  maxManaged: number;
}

async function denseAttributes(r: Reader, d: Buffer, offset: number, out: H5Root): Promise<void> {
  const flags = d[1]!;
  const p = 2 + (flags & 1 ? 2 : 0);
  const heapAddr = r.uint(d, p, r.offSize);
  const nameIndex = r.uint(d, p + r.offSize, r.offSize);
  if (heapAddr === UNDEF || nameIndex === UNDEF) return; // no dense storage in use
  try {
    const heap = await fractalHeap(r, heapAddr);
    const ids = await btreeRecords(r, nameIndex, heap.idLen);
    for (const id of ids) {
      r.tick();
      if (out.attributes.length >= MAX_ATTRIBUTES) break;
      const msg = await heapObject(r, heap, id);
      out.attributes.push(await attribute(r, msg.data, msg.offset, out.issues));
    }
  } catch (e) {
    if (!(e instanceof Hdf5Error)) throw e;
    out.issues.push(`dense attribute storage at offset ${offset}: ${e.message}`);
  }
}

async function fractalHeap(r: Reader, addr: number): Promise<FractalHeap> {
  const o = r.offSize;
  const l = r.lenSize;
  const b = await r.at(addr, 22 + 12 * l + 3 * o, 'fractal heap header');
  if (b.subarray(0, 4).toString('latin1') !== 'FRHP') throw new Hdf5Error(`fractal heap at address ${addr} lacks its FRHP signature`, r.base + addr);
  const idLen = u16(b, 5);
  const filterLen = u16(b, 7);
  const flags = b[9]!;
  const maxManaged = u32(b, 10);
  let p = 14 + l + o + l + o + 8 * l; // next huge id, huge btree, free space, free-space manager, 8 statistics
  const width = u16(b, p);
  const startBlock = r.uint(b, p + 2, l);
  const maxDirect = r.uint(b, p + 2 + l, l);
  const maxHeapBits = u16(b, p + 2 + 2 * l);
  p += 2 + 2 * l + 2 + 2; // width, starting, max direct, max heap size, starting rows
  const rootAddr = r.uint(b, p, o);
  const rootRows = u16(b, p + o);
  if (!width || startBlock <= 0 || maxDirect <= 0 || maxHeapBits > 64) throw new Hdf5Error(`fractal heap at address ${addr} has an impossible doubling table (width ${width}, start ${startBlock}, max direct ${maxDirect})`, r.base + addr);
  return { addr, idLen, maxDirect, startBlock, width, maxHeapBits, rootAddr, rootRows, checksummed: (flags & 2) !== 0, filtered: filterLen > 0, maxManaged };
}

/** Heap ids of a v2 B-tree of attribute-name records (type 8), leaves and internal nodes alike. */
async function btreeRecords(r: Reader, addr: number, idLen: number): Promise<Buffer[]> {
  const o = r.offSize;
  const l = r.lenSize;
  const h = await r.at(addr, 16 + o + 2 + l + 4, 'B-tree header');
  if (h.subarray(0, 4).toString('latin1') !== 'BTHD') throw new Hdf5Error(`B-tree at address ${addr} lacks its BTHD signature`, r.base + addr);
  const type = h[5]!;
  const nodeSize = u32(h, 6);
  const recSize = u16(h, 10);
  const depth = u16(h, 12);
  const root = r.uint(h, 16, o);
  const rootCount = u16(h, 16 + o);
  if (type !== 8) throw new Hdf5Error(`attribute name index at address ${addr} is a type-${type} B-tree (8 expected)`, r.base + addr);
  if (recSize < idLen || nodeSize < 16 || depth > 16) throw new Hdf5Error(`B-tree at address ${addr} declares records of ${recSize} bytes in ${nodeSize}-byte nodes, depth ${depth}`, r.base + addr);
  const out: Buffer[] = [];
  // Internal nodes store child record counts in as few bytes as the maximum count needs; derived as the
  // library does from the node size (leaf capacity, then per level).
  const bytesFor = (n: number): number => Math.max(1, Math.ceil(Math.log2(n + 1) / 8));
  const leafMax = Math.floor((nodeSize - 10) / recSize);
  const maxRecs: number[] = [leafMax];
  const cumRecs: number[] = [leafMax];
  for (let dd = 1; dd <= depth; dd++) {
    const ptr = o + bytesFor(maxRecs[dd - 1]!) + (dd > 1 ? bytesFor(cumRecs[dd - 1]!) : 0);
    const m = Math.floor((nodeSize - 10 - ptr) / (recSize + ptr));
    maxRecs.push(m);
    cumRecs.push((m + 1) * cumRecs[dd - 1]! + m);
  }
  const stack: Array<{ addr: number; count: number; depth: number }> = [{ addr: root, count: rootCount, depth }];
  while (stack.length) {
    r.tick();
    const n = stack.pop()!;
    if (n.addr === UNDEF || n.count === 0) continue;
    r.once(n.addr, 'B-tree node');
    const node = await r.at(n.addr, nodeSize, 'B-tree node');
    const sig = node.subarray(0, 4).toString('latin1');
    if (sig !== (n.depth === 0 ? 'BTLF' : 'BTIN')) throw new Hdf5Error(`B-tree node at address ${n.addr} has signature ${JSON.stringify(sig)}`, r.base + n.addr);
    let p = 6;
    if (6 + n.count * recSize > node.length) throw new Hdf5Error(`B-tree node at address ${n.addr} claims ${n.count} records, more than fit`, r.base + n.addr);
    for (let i = 0; i < n.count; i++, p += recSize) out.push(Buffer.from(node.subarray(p, p + idLen)));
    if (n.depth > 0) {
      const cb = bytesFor(maxRecs[n.depth - 1]!);
      const tb = n.depth > 1 ? bytesFor(cumRecs[n.depth - 1]!) : 0;
      for (let i = 0; i <= n.count; i++) {
        const child = r.uint(node, p, o);
        const cnt = r.uint(node, p + o, cb);
        p += o + cb + tb;
        stack.push({ addr: child, count: cnt === UNDEF ? 0 : cnt, depth: n.depth - 1 });
      }
    }
    if (out.length > MAX_ATTRIBUTES) break;
  }
  return out;
}

/** The bytes of a managed heap object: find its direct block through the doubling table. */
async function heapObject(r: Reader, heap: FractalHeap, id: Buffer): Promise<{ data: Buffer; offset: number }> {
  const kind = (id[0]! >> 4) & 3;
  if (kind === 2) {
    // Tiny object: stored in the id itself.
    const len = (id[0]! & 0x0f) + 1;
    return { data: id.subarray(1, 1 + len), offset: r.base + heap.addr };
  }
  if (kind !== 0) throw new Hdf5Error(`heap id of kind ${kind} (huge object) is not followed`);
  if (heap.filtered) throw new Hdf5Error('fractal heap blocks are filtered (compressed): not read');
  const offBytes = Math.ceil(heap.maxHeapBits / 8);
  const lenBytes = Math.min(Math.ceil(Math.log2(heap.maxDirect) / 8), Math.ceil(Math.log2(heap.maxManaged + 1) / 8));
  const off = r.uint(id, 1, offBytes);
  const len = r.uint(id, 1 + offBytes, lenBytes);
  if (off === UNDEF || len === UNDEF || len > MAX_ATTR_BYTES) throw new Hdf5Error(`heap id names offset ${off}, length ${len}`);
  let block = heap.rootAddr;
  let blockOff = 0;
  let blockSize = heap.startBlock;
  if (heap.rootRows > 0) {
    // Root indirect block: rows of `width` blocks, sizes start, start, 2·start, 4·start…; direct rows only.
    const hdr = 5 + r.offSize + offBytes;
    let size = heap.startBlock;
    let row = 0;
    let base = 0;
    for (; row < heap.rootRows; row++) {
      r.tick();
      if (row > 1) size *= 2;
      if (size > heap.maxDirect) throw new Hdf5Error(`heap offset ${off} lies in a nested indirect block: not followed`);
      if (off < base + size * heap.width) break;
      base += size * heap.width;
    }
    if (row === heap.rootRows) throw new Hdf5Error(`heap offset ${off} lies past the root indirect block`);
    const col = Math.floor((off - base) / size);
    const ib = await r.at(heap.rootAddr, hdr + (row * heap.width + col + 1) * r.offSize, 'fractal heap indirect block');
    if (ib.subarray(0, 4).toString('latin1') !== 'FHIB') throw new Hdf5Error(`indirect block at address ${heap.rootAddr} lacks its FHIB signature`, r.base + heap.rootAddr);
    block = r.uint(ib, hdr + (row * heap.width + col) * r.offSize, r.offSize);
    blockOff = base + col * size;
    blockSize = size;
  }
  if (block === UNDEF) throw new Hdf5Error(`heap offset ${off} lies in an unallocated block`);
  if (off - blockOff + len > blockSize) throw new Hdf5Error(`heap object [${off}, ${off + len}) runs past its ${blockSize}-byte block`);
  const sig = await r.at(block, 4, 'fractal heap direct block');
  if (sig.toString('latin1') !== 'FHDB') throw new Hdf5Error(`direct block at address ${block} lacks its FHDB signature`, r.base + block);
  return { data: await r.at(block + (off - blockOff), len, 'heap object'), offset: r.base + block + (off - blockOff) };
}
