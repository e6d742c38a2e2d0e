// `scan`: static security checks over files, folders and archive members. Nothing is loaded or
// executed; every format is read with the bounded readers in ../formats. Archive members are scanned
// in place (stored) or inflated under caps (deflated), recursively up to a depth limit.
import fs from 'node:fs/promises';
import path from 'node:path';
import { Budget, BudgetExceededError } from '../formats/budget';
import { canInflate, inflate, inflateStream } from '../formats/compression';
import { detectFile, detectSource } from '../formats/detect';
import { at, finding, maxSeverity, type Finding, type Severity } from '../formats/finding';
import * as gguf from '../formats/gguf';
import * as hf from '../formats/hf';
import { BufferSource, FileSource, FormatError, SliceSource, basename, preview, type ByteSource } from '../formats/io';
import { isTemplateFile } from '../formats/jinja/files';
import * as keras from '../formats/keras';
import * as numpy from '../formats/numpy';
import * as onnx from '../formats/onnx';
import { analyzePickle, isOpcode } from '../formats/pickle/analyze';
import * as pickle from '../formats/pickle/rules';
import * as safetensors from '../formats/safetensors';
import * as savedmodel from '../formats/savedmodel';
import type { FormatRules, FormatScan, ScanLimits, SiblingLookup } from '../formats/scanContext';
import * as tar from '../formats/tar';
import { HEAD_SIZE, type Compression, type Detection, type FormatId } from '../formats/types';
import { classifyZip, findZipStart, ZipArchive, type ZipEntry } from '../formats/zip';
import { listFolder } from '../fs/listFolder';
import type { ScanReport as WireScanReport, ScannedFile } from '../../contract/scan';

export type { SiblingLookup } from '../formats/scanContext';

export const SCANNER_NAME = 'hallmark-scan';
/** Bump when rules change meaningfully: stored scans record it so stale results can be re-run. */
export const SCANNER_VERSION = '2.0.0';

export interface ScanOptions {
  /** Nested archives deeper than this are reported, not opened. */
  maxDepth?: number;
  /** Largest single member or compressed file inflated into memory. */
  maxMemberBytes?: number;
  /** Total bytes inflated for one top-level file (decompression bomb guard). */
  maxInflatedTotal?: number;
  /** Compression ratio above which a large member is a bomb. */
  bombRatio?: number;
  /** Small files scanned at once. */
  concurrency?: number;
  /** Files over 8 MiB scanned at once (they may inflate archive members into memory). */
  largeConcurrency?: number;
  /**
   * Read files with synchronous calls. Right for one-shot batch processes (the CLI), where nothing
   * else waits on the event loop; the app leaves it off so a slow disk never stalls the UI.
   */
  blockingIo?: boolean;
  /** Time one top-level file may take (members included); past it the file is reported unscannable. */
  maxFileMs?: number;
  /** Bytes the readers may hold in memory for one top-level file (parsed JSON, HDF5 and protobuf messages). */
  maxFileMemory?: number;
  signal?: AbortSignal;
  onProgress?: (doneBytes: number, totalBytes: number, file: string) => void;
}

/** A file's report: the contract's shape, with the format narrowed to the ids the readers know. */
export type FileReport = Omit<ScannedFile, 'format'> & { format: FormatId };

export type ScanReport = Omit<WireScanReport, 'files'> & { files: FileReport[] };

// Small files are I/O-latency bound (many in flight hide it); large ones may inflate members into
// memory, so only a couple run at once.
const DEFAULTS = { maxDepth: 3, maxMemberBytes: 512 * 2 ** 20, maxInflatedTotal: 4 * 2 ** 30, bombRatio: 100, concurrency: 16, largeConcurrency: 2, maxFileMs: 300_000, maxFileMemory: 2 * 2 ** 30 };
const LARGE_FILE = 8 * 2 ** 20;
type Opts = typeof DEFAULTS & Pick<ScanOptions, 'signal' | 'onProgress' | 'blockingIo'>;

/** Not a FormatError on purpose: cancellation must stop the scan, not become a finding. */
export class ScanCancelledError extends Error {
  constructor() {
    super('scan cancelled');
    this.name = 'ScanCancelledError';
  }
}

/** Per top-level file: budget shared by all nested members. */
interface Ctx {
  opts: Opts;
  inflated: number;
  /** Resolves paths relative to the top-level file; null inside archives (nothing to resolve against). */
  sibling: SiblingLookup | null;
  /** Time and memory for this top-level file, shared by its members. */
  budget: Budget;
}

/** Sibling lookup on disk: relative to the file's folder, links followed, escapes reported. */
export function diskSiblings(abs: string): SiblingLookup {
  const dir = path.dirname(abs);
  return async (rel) => {
    const realDir = await fs.realpath(dir).catch(() => dir);
    // os.path.join(base_dir, location), as onnx resolves it.
    const joined = path.join(dir, rel);
    const real = await fs.realpath(joined).catch(() => null);
    if (!real) return null;
    if (path.relative(realDir, real).startsWith('..') || path.isAbsolute(path.relative(realDir, real))) return 'outside';
    const st = await fs.stat(real).catch(() => null);
    const lst = await fs.lstat(joined).catch(() => null);
    return st?.isFile() ? { path: real, size: st.size, links: st.nlink, symlink: lst?.isSymbolicLink() ?? false } : null;
  };
}

/** Names that promise data-only content: a pickle under such a name is a disguise. */
const DATA_ONLY_EXT = /\.(safetensors|gguf|ggml|onnx|json|txt|md|yaml|yml|csv|png|jpe?g|gif|h5|hdf5|npy|msgpack|tflite|pb)$/i;
const PICKLE_FAMILY = new Set<FormatId>(['pickle', 'joblib', 'pytorch-legacy']);
/** joblib < 0.10 files: 'ZF', the inflated length in hex padded to 19 characters, zlib data. joblib.load still reads them. */
function zfileOffset(head: Buffer): number | null {
  if (head.length < 23 || head[0] !== 0x5a || head[1] !== 0x46) return null;
  if (!/^0x[0-9a-fA-F]+ *$/.test(head.toString('latin1', 2, 21))) return null;
  return head[21] === 0x20 ? 22 : 21;
}

/**
 * Each format's scan rules, next to its reader in formats/<format>.ts, by the format id detection gives.
 * Archives, compressed streams and unclaimed files are the walker's own (Scanner.walkers).
 */
const FORMAT_RULES: Partial<Record<FormatId, FormatRules>> = {
  pickle: pickle.rules, joblib: pickle.rules, 'pytorch-legacy': pickle.rules,
  gguf: gguf.rules, safetensors: safetensors.rules, onnx: onnx.rules, npy: numpy.rules,
  keras: keras.rules, 'keras-h5': keras.h5Rules, hdf5: keras.h5Rules, 'tf-savedmodel': savedmodel.rules,
  'hf-config': hf.configRules, 'hf-tokenizer': hf.tokenizerRules, 'hf-index': hf.indexRules, json: hf.jsonRules,
};
const ARCHIVE_MALFORMED = { rule: 'archive.malformed', severity: 'medium' } as const;

interface WalkRules {
  scan(v: Visit): Promise<void>;
  malformed?: FormatRules['malformed'];
  damage?: FormatRules['damage'];
}

/** One source on the walk: what a format's rules see (FormatScan), plus the per-file state only the walker touches. */
class Visit implements FormatScan {
  constructor(
    private readonly scanner: Scanner,
    readonly src: ByteSource,
    readonly display: string,
    readonly depth: number,
    readonly ctx: Ctx,
    readonly detection: Detection,
    readonly out: Finding[],
  ) {}

  get budget(): Budget {
    return this.ctx.budget;
  }

  get limits(): ScanLimits {
    return this.ctx.opts;
  }

  get sibling(): SiblingLookup | null {
    return this.ctx.sibling;
  }

  async scan(src: ByteSource, display: string, how: { detection?: Detection; detached?: boolean } = {}): Promise<void> {
    const r = await this.scanner.source(src, display, this.depth + 1, how.detached ? { ...this.ctx, sibling: null } : this.ctx, how.detection);
    this.out.push(...r.findings);
  }

  zip(kind: FormatId): Promise<void> {
    return this.scanner.zip(this.src, this.display, this.depth, this.ctx, kind, this.out);
  }

  async inflate(src: ByteSource, codec: Compression): Promise<Buffer> {
    const o = this.ctx.opts;
    const buf = await inflate(src, codec, Math.min(o.maxMemberBytes, o.maxInflatedTotal - this.ctx.inflated));
    this.ctx.inflated += buf.length;
    return buf;
  }

  open(p: string): Promise<FileSource> {
    return FileSource.open(p, { sync: this.ctx.opts.blockingIo === true });
  }

  json(): Promise<unknown> {
    return hf.readJson(this.src, hf.MAX_JSON, this.ctx.budget);
  }
}

/** Archive members no reader claimed: plain data by kind (reported once, as info), and the rest. */
interface MemberNotes {
  plain: Map<string, string[]>;
  shown: number;
  hidden: number;
}

/** Parts of a torch zip that torch.load reads as plain values (never parsed as code). */
const TORCH_FIELDS = /(^|\/)(version|byteorder|\.data\/version|\.data\/serialization_id|\.format_version|\.storage_alignment|code\/.*\.py|extra\/[^/]*)$/;

const ZIP_FAMILY = new Set<FormatId>(['zip', 'pytorch', 'torchscript', 'npz', 'keras']);

/**
 * Whether bytes are plainly data that no model loader parses as code: UTF-8 text (version files,
 * byteorder, READMEs; pickles and JSON are claimed by their readers before this is asked) or an image.
 */
function plainKind(head: Buffer): string | null {
  if (head.length === 0) return 'empty';
  if (head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) || (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) || head.subarray(0, 4).toString('latin1') === 'GIF8' || (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP')) return 'images';
  for (let i = 0; i < head.length; i++) {
    const c = head[i]!;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) return null;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true }); // a cut multi-byte character at the end is fine
    return 'text files';
  } catch {
    return null;
  }
}

function summarize(files: FileReport[]): ScanReport['summary'] {
  const s = { critical: 0, high: 0, medium: 0, low: 0, info: 0, files: files.length, bytes: 0 };
  for (const f of files) {
    s.bytes += f.bytes;
    for (const x of f.findings) s[x.severity]++;
  }
  return s;
}

function nameOf(display: string): string {
  return basename(display);
}

/**
 * Whether an entry flagged as encrypted holds plain data after all (the flag is a known way to hide a
 * pickle from zipfile-based scanners): stored data without the 12-byte ZipCrypto header, or deflated
 * data that inflates.
 */
async function plainDespiteFlag(z: ZipArchive, e: ZipEntry): Promise<boolean> {
  if (e.method === 0) return e.compressedSize === e.size;
  if (e.method !== 8) return false;
  try {
    return (await z.head(e, 1024)).length > 0;
  } catch {
    return false;
  }
}

function memberPathProblem(name: string): { rule: 'archive.absolute-path' | 'archive.path-traversal'; why: string } | null {
  if (/^([a-zA-Z]:)?[\\/]/.test(name) || /^[a-zA-Z]:/.test(name)) return { rule: 'archive.absolute-path', why: `entry ${JSON.stringify(name)} is an absolute path: extraction writes outside the target folder` };
  if (name.split(/[\\/]/).includes('..')) return { rule: 'archive.path-traversal', why: `entry ${JSON.stringify(name)} contains ".." and extracts outside the target folder (zip slip)` };
  return null;
}

/** What a tar entry's header alone says: paths that escape, links, device nodes. */
function tarEntryNotes(e: tar.TarEntry, display: string, out: Finding[]): void {
  const loc = `entry ${JSON.stringify(e.name)}`;
  const p = memberPathProblem(e.name);
  if (p) out.push(finding('high', p.rule, display, loc, p.why));
  if (e.type === 'symlink' || e.type === 'hardlink') {
    const esc = hf.escapesFolder(e.linkname) ?? (e.type === 'symlink' ? hf.escapesFolder(path.posix.join(path.posix.dirname(e.name), e.linkname)) : null);
    out.push(finding(esc ? 'high' : 'medium', 'archive.symlink', display, loc, `${e.type} ${JSON.stringify(e.name)} → ${JSON.stringify(e.linkname)}${esc ? ` (${esc}: extraction exposes or overwrites files outside the folder)` : ''}`));
  } else if (e.type === 'device' || e.type === 'fifo') {
    out.push(finding('medium', 'archive.symlink', display, loc, `${e.type} node ${JSON.stringify(e.name)} in an archive`));
  }
}

class Scanner {
  constructor(private readonly opts: Opts) {}

  private check(): void {
    if (this.opts.signal?.aborted) throw new ScanCancelledError();
  }

  /** Archives, compressed streams and files no reader claims: walked here, members judged like files. */
  private readonly walkers: Partial<Record<FormatId, WalkRules>> = {
    pytorch: { malformed: ARCHIVE_MALFORMED, scan: (v) => v.zip('pytorch') },
    torchscript: { malformed: ARCHIVE_MALFORMED, scan: (v) => v.zip('torchscript') },
    npz: { malformed: ARCHIVE_MALFORMED, scan: (v) => v.zip('npz') },
    zip: { malformed: ARCHIVE_MALFORMED, scan: (v) => v.zip('zip') },
    tar: { malformed: ARCHIVE_MALFORMED, scan: (v) => this.tar(v.src, v.display, v.depth, v.ctx, v.detection, v.out) },
    compressed: { scan: (v) => this.compressed(v) },
    unknown: { scan: (v) => this.unclaimedFile(v) },
  };

  private readonly table: Partial<Record<FormatId, WalkRules>> = { ...FORMAT_RULES, ...this.walkers };

  /** Scans one source and returns its format and findings (members included). */
  async source(src: ByteSource, display: string, depth: number, ctx: Ctx, det?: Detection): Promise<{ format: FormatId; findings: Finding[] }> {
    this.check();
    const d = det ?? (await detectSource(src));
    const out: Finding[] = [];
    const v = new Visit(this, src, display, depth, ctx, d, out);
    try {
      await this.table[d.format]?.scan(v);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      out.push(this.damage(d.format, display, e));
    }
    // torch.load, pickle.load and joblib.load ignore magic bytes: whatever the format, judge the file as a
    // pickle too (the union of verdicts). Pickle-family files and pickle-named unknowns are already.
    if (!PICKLE_FAMILY.has(d.format)) {
      try {
        await this.otherLoaders(v, d.format === 'unknown' && pickle.PICKLE_NAME.test(nameOf(display)));
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
      }
    }
    if (PICKLE_FAMILY.has(d.format) && DATA_ONLY_EXT.test(nameOf(display))) {
      out.push(finding('high', 'file.disguised', display, 'file', `content is a ${d.format} stream (executes code when loaded) but the name ${JSON.stringify(nameOf(display))} promises a data-only format`));
    }
    return { format: d.format, findings: out };
  }

  /** A FormatError while reading: the format's own damage rule, or "unscannable". */
  private damage(format: FormatId, display: string, e: FormatError): Finding {
    const loc = e.offset === undefined ? 'file' : at(e.offset);
    const rules = this.table[format];
    const special = rules?.damage?.(e, display, loc);
    if (special) return special;
    const { rule, severity } = rules?.malformed ?? { rule: 'file.unscannable', severity: 'medium' };
    return finding(severity, rule, display, loc, `${e.name}: ${e.message}`);
  }

  /** A file no reader claims: a chat template saved on its own, or a pickle-named file whose bytes do not parse. */
  private async unclaimedFile(v: Visit): Promise<void> {
    if (isTemplateFile(v.display)) {
      const { scanTemplateFile } = await import('../formats/jinja/template');
      v.out.push(...(await scanTemplateFile(v.src, v.display)));
      return;
    }
    if (pickle.PICKLE_NAME.test(nameOf(v.display))) await pickle.scanUnrecognised(v);
  }

  /** A compressed file: joblib.load decompresses by magic bytes and unpickles whatever comes out, so scan what comes out. */
  private async compressed(v: Visit): Promise<void> {
    const codec = v.detection.compression;
    if (!codec || !canInflate(codec)) {
      v.out.push(finding('medium', 'file.unscannable', v.display, 'file', `compressed with ${codec ?? 'an unknown codec'}, which Hallmark cannot decompress: joblib and pickle files are often stored this way, so its safety is unknown`));
      return;
    }
    const inner = await this.inflated(v, v.src, codec);
    if (inner) await v.scan(inner, v.display);
  }

  /** Inflates under the member and total caps (bomb guard); null (with a finding) when it must not. */
  private async inflated(v: Visit, src: ByteSource, codec: Compression): Promise<ByteSource | null> {
    const display = v.display;
    try {
      const buf = await v.inflate(src, codec);
      if (src.size > 0 && buf.length / src.size > this.opts.bombRatio && buf.length > 64 << 20) v.out.push(finding('high', 'archive.bomb', display, 'file', `${codec} stream inflates ${src.size} bytes to ${buf.length} (ratio ${Math.round(buf.length / src.size)})`));
      return new BufferSource(display, buf);
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      const bomb = /cap/.test(e.message);
      v.out.push(finding(bomb ? 'high' : 'medium', bomb ? 'archive.bomb' : 'file.unscannable', display, 'file', `${e.message}: ${bomb ? 'refusing to inflate further' : 'content not scanned'}`));
      return null;
    }
  }

  /**
   * The file as loaders that ignore its magic read it: pickle.load and torch.load's fallback (a pickle from
   * byte 0, no persistent ids), joblib.load's 'ZF' header. Reported only when that reading reaches code.
   */
  private async otherLoaders(v: Visit, analysed: boolean): Promise<void> {
    const { src, display, out } = v;
    if (src.size === 0) return;
    const head = await src.read(0, Math.min(src.size, 32));
    const zf = zfileOffset(head);
    if (zf !== null) {
      const inner = await this.inflated(v, new SliceSource(display, src, zf, src.size - zf), 'zlib');
      if (inner) await v.scan(inner, display);
    }
    // pickle.load fails on the first byte unless it is an opcode other than a persistent id (zip's 'P'):
    // most files end here without a second read.
    if (analysed || !isOpcode(head[0]!) || head[0] === 0x50 || head[0] === 0x51) return;
    const a = await analyzePickle(src, { maxPickles: 1, persistentIds: false, sweep: false });
    if (!pickle.reachesCode(a)) return;
    for (const f of pickle.pickleFindings(a, display)) if (!pickle.SHAPE_RULES.has(f.rule)) out.push({ ...f, detail: `${f.detail} (read as a pickle from byte 0, as pickle.load and torch.load do whatever the file's magic says)` });
    await pickle.scanNested(v, src, a.nested);
  }

  // ---- archives ---------------------------------------------------------------------------

  async zip(src: ByteSource, display: string, depth: number, ctx: Ctx, format: FormatId, out: Finding[]): Promise<void> {
    try {
      await this.zipBody(src, display, depth, ctx, format, out);
    } catch (e) {
      if (e instanceof BudgetExceededError) e.partial.push(...out);
      throw e;
    }
  }

  private async zipBody(src: ByteSource, display: string, depth: number, ctx: Ctx, format: FormatId, out: Finding[]): Promise<void> {
    const z = await ZipArchive.for(src);
    if (z.prefix > 0) out.push(finding('medium', 'archive.malformed', display, 'file', `the zip archive starts at byte ${z.prefix}, after prepended data: Python's zipfile (and so Keras) reads it, tools that look at byte 0 do not`));
    const kerasArchive = keras.isKerasArchive(format, display);
    if (kerasArchive) await keras.scanArchiveConfig(z, format, display, out, ctx.budget);
    const ciphertext = await this.zipDirectory(z, src, display, out);
    const plain: MemberNotes = { plain: new Map(), shown: 0, hidden: 0 };
    for (const e of z.entries) {
      this.check();
      ctx.budget.check();
      if (e.name.endsWith('/') || ciphertext.has(e) || e.size === 0) continue;
      if (e.unixMode !== null && (e.unixMode & 0o170000) === 0o120000) continue;
      if (kerasArchive && e.name === 'config.json') continue; // read above, as Keras reads it
      await this.zipMember(z, e, display, depth, ctx, format, out, plain);
    }
    this.plainMembers(plain, display, out);
  }

  /**
   * What the central directory alone says: paths and links that escape on extraction, encryption flags
   * (returns the entries really encrypted), size lies, duplicates, bombs and overlapping entries.
   */
  private async zipDirectory(z: ZipArchive, src: ByteSource, display: string, out: Finding[]): Promise<Set<ZipEntry>> {
    const entries = z.entries;
    const names = new Map<string, number>();
    const ciphertext = new Set<ZipEntry>();
    let declared = 0;
    for (const e of entries) {
      const loc = `entry ${JSON.stringify(e.name)}`;
      const p = memberPathProblem(e.name);
      if (p) out.push(finding('high', p.rule, display, loc, p.why));
      if (e.unixMode !== null && (e.unixMode & 0o170000) === 0o120000) out.push(finding('high', 'archive.symlink', display, loc, `entry ${JSON.stringify(e.name)} is a symbolic link: extracting it redirects later files outside the folder`));
      if (e.encrypted) {
        const plain = await plainDespiteFlag(z, e);
        if (!plain) ciphertext.add(e);
        out.push(plain
          ? finding('high', 'archive.encrypted', display, loc, `entry ${JSON.stringify(e.name)} has the encryption flag set but is not encrypted: Python's zipfile (and scanners built on it) refuse to read it, torch.load ignores the flag; scanned as plain data`)
          : finding('medium', 'archive.encrypted', display, loc, `entry ${JSON.stringify(e.name)} is encrypted and cannot be scanned`));
      }
      if (e.method === 0 && e.compressedSize !== e.size && !(e.encrypted && e.compressedSize === e.size + 12)) {
        out.push(finding('medium', 'archive.malformed', display, loc, `stored entry ${JSON.stringify(e.name)} declares ${e.size} bytes but holds ${e.compressedSize}: readers disagree on which to believe`));
      }
      names.set(e.name, (names.get(e.name) ?? 0) + 1);
      declared += e.size;
      if (e.size > 10 << 20 && e.size / Math.max(1, e.compressedSize) > this.opts.bombRatio) {
        out.push(finding('high', 'archive.bomb', display, loc, `entry ${JSON.stringify(e.name)} inflates ${e.compressedSize} bytes to ${e.size} (ratio ${Math.round(e.size / Math.max(1, e.compressedSize))}:1)`));
      }
    }
    for (const [n, c] of names) if (c > 1) out.push(finding('high', 'archive.duplicate-entry', display, `entry ${JSON.stringify(n)}`, `${c} entries are named ${JSON.stringify(n)}: Python's zipfile (and torch.load) use the last one, other tools the first`));
    if (declared > this.opts.maxInflatedTotal * 4) out.push(finding('high', 'archive.bomb', display, 'central directory', `entries claim ${declared} bytes uncompressed from a ${src.size}-byte archive`));
    const sorted = [...entries].sort((a, b) => a.localHeaderOffset - b.localHeaderOffset);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const cur = sorted[i]!;
      if (cur.localHeaderOffset < prev.localHeaderOffset + 30 + Buffer.byteLength(prev.name) + prev.compressedSize) {
        out.push(finding('high', 'archive.bomb', display, `entry ${JSON.stringify(cur.name)}`, `entry data overlaps ${JSON.stringify(prev.name)} (overlapping entries: a non-recursive zip bomb or a parser-confusion trick)`));
        break;
      }
    }
    return ciphertext;
  }

  /** One info finding per archive for members left unparsed because they are plainly data (never silence). */
  private plainMembers(plain: MemberNotes, display: string, out: Finding[]): void {
    if (plain.hidden) out.push(finding('medium', 'file.unscannable', display, 'file', `not fully scanned: ${plain.hidden} more member(s) are no format Hallmark reads`));
    if (!plain.plain.size) return;
    const parts = [...plain.plain].map(([kind, names]) => `${names.length} ${kind} (${names.slice(0, 5).map((n) => JSON.stringify(n)).join(', ')}${names.length > 5 ? ', …' : ''})`);
    out.push(finding('info', 'archive.unparsed-member', display, 'file', `members read only far enough to see they are plain data, not a format that runs code: ${parts.join('; ')}`));
  }

  /**
   * What an archive member that no reader claims is: plain data by content (text, an image, a tensor
   * storage the loader never parses) is listed as info; anything else was not scanned and says so.
   */
  private unclaimed(head: Buffer, name: string, member: string, plain: MemberNotes, out: Finding[]): void {
    const kind = plainKind(head);
    if (kind) {
      const list = plain.plain.get(kind) ?? [];
      list.push(name);
      plain.plain.set(kind, list);
      return;
    }
    if (plain.shown++ >= 20) plain.hidden++;
    else out.push(finding('medium', 'file.unscannable', member, 'entry', `not fully scanned: ${head.length ? `binary member starting ${preview(head.subarray(0, 16))}` : 'member'} is no format Hallmark reads; a loader that opens it by name may still parse it`));
  }

  private async zipMember(z: ZipArchive, e: ZipEntry, display: string, depth: number, ctx: Ctx, format: FormatId, out: Finding[], plain: MemberNotes): Promise<void> {
    const member = `${display}!${e.name}`;
    // torch never unpickles storages (data/<key>): raw tensor bytes, skipped without reading.
    if ((format === 'pytorch' || format === 'torchscript') && /(^|\/)data\/\d+$/.test(e.name)) return;
    if (e.method !== 0 && e.method !== 8) {
      out.push(finding('medium', 'file.unscannable', member, 'entry', `compression method ${e.method} is not supported: member not scanned`));
      return;
    }
    let head: Buffer;
    try {
      head = await z.head(e, HEAD_SIZE);
    } catch (err) {
      out.push(finding('medium', 'archive.malformed', member, 'entry', (err as Error).message));
      return;
    }
    if (z.localNameDiffers(e)) out.push(finding('medium', 'archive.malformed', display, `entry ${JSON.stringify(e.name)}`, `the local header of ${JSON.stringify(e.name)} names another file: tools that stream the archive see a different file list than torch.load`));
    const det = await detectSource(new BufferSource(member, head));
    const pklName = /\.(pkl|pickle)$/i.test(e.name);
    // JSON longer than the head cannot parse from the head alone: decide on the whole member.
    const cutJson = det.format === 'unknown' && head.length < e.size && hf.match(head);
    const interesting = pklName || det.format !== 'unknown' || cutJson;
    if (!interesting) {
      // The container's own small fields (version, byteorder, …) are text torch reads as values: expected, not news.
      if ((format === 'pytorch' || format === 'torchscript') && TORCH_FIELDS.test(e.name) && plainKind(head)) return;
      return this.unclaimed(head, e.name, member, plain, out);
    }
    const isArchive = ['zip', 'pytorch', 'torchscript', 'npz', 'keras', 'tar'].includes(det.format) || det.compression !== undefined;
    if (isArchive && depth + 1 > this.opts.maxDepth) {
      out.push(finding('medium', 'archive.nested-depth', member, 'entry', `archive nested deeper than ${this.opts.maxDepth} levels: not scanned`));
      return;
    }
    const left = this.opts.maxInflatedTotal - ctx.inflated;
    const cap = Math.min(this.opts.maxMemberBytes, left);
    if (e.method === 8 && e.size > cap) {
      out.push(finding(left <= 0 ? 'high' : 'medium', left <= 0 ? 'archive.bomb' : 'file.unscannable', member, 'entry', `member inflates to ${e.size} bytes, over the ${cap}-byte scan cap: not scanned`));
      return;
    }
    let src: ByteSource;
    try {
      src = await z.source(e, cap, member);
    } catch (err) {
      out.push(finding('medium', 'archive.malformed', member, 'entry', (err as Error).message));
      return;
    }
    if (e.method === 8) ctx.inflated += src.size;
    // When the head was the whole member, detecting again would look at the same bytes.
    const full = head.length === src.size ? det : await detectSource(src);
    if (full.format === 'unknown' && !pklName) return this.unclaimed(head, e.name, member, plain, out);
    // A .pkl member that is not recognisable as anything is still analysed as a pickle.
    const d = full.format === 'unknown' && pklName ? { format: 'pickle' as const } : full;
    const r = await this.source(src, member, depth + 1, { ...ctx, sibling: null }, d);
    out.push(...r.findings);
    // A member that is a zip after prepended bytes (a .keras inside a bundle) is opened as zipfile would.
    if (!ZIP_FAMILY.has(d.format)) await this.tailZip(src, member, depth + 1, ctx, d.format, out);
  }

  /**
   * Python's zipfile (Keras, numpy.load for .npz) finds an archive by its end record, wherever the data
   * starts: a file that detects as something else (or nothing) but ends in a readable central directory
   * is also scanned as that archive.
   */
  private async tailZip(src: ByteSource, display: string, depth: number, ctx: Ctx, format: FormatId, out: Finding[]): Promise<void> {
    if (src.size < 22 || depth > this.opts.maxDepth) return;
    const start = await findZipStart(src).catch(() => null);
    if (!start || start.concat === 0 || start.entries === 0) return;
    let z: ZipArchive;
    try {
      z = await ZipArchive.for(src);
    } catch {
      return; // an end-record signature in other data, not an archive
    }
    if (!z.entries.length) return;
    const kind = classifyZip(z.entries.map((e) => e.name));
    out.push(finding('medium', 'file.polyglot', display, `byte ${z.prefix}`, `a zip archive (${kind}) follows ${z.prefix} bytes of ${format === 'unknown' ? 'other data' : format}: Python's zipfile opens it${/\.keras$/i.test(nameOf(display)) || kind === 'keras' ? ', and keras.saving.load_model reads it as a .keras model' : ''}; scanned as that archive too`));
    await this.zip(src, display, depth, ctx, kind, out);
  }

  private async tar(src: ByteSource, display: string, depth: number, ctx: Ctx, d: Detection, out: Finding[]): Promise<void> {
    const plain: MemberNotes = { plain: new Map(), shown: 0, hidden: 0 };
    try {
      await this.tarBody(src, display, depth, ctx, d, out, plain);
    } catch (e) {
      if (e instanceof BudgetExceededError) e.partial.push(...out);
      throw e;
    }
    this.plainMembers(plain, display, out);
  }

  private async tarBody(src: ByteSource, display: string, depth: number, ctx: Ctx, d: Detection, out: Finding[], plain: MemberNotes): Promise<void> {
    if (!d.compression) return this.plainTar(src, display, depth, ctx, out, plain);
    if (!canInflate(d.compression)) {
      out.push(finding('medium', 'file.unscannable', display, 'file', `${d.compression}-compressed tar cannot be decompressed`));
      return;
    }
    return this.compressedTar(src, d.compression, display, depth, ctx, out, plain);
  }

  /** An uncompressed tar: members are slices of the file, read in place. */
  private async plainTar(src: ByteSource, display: string, depth: number, ctx: Ctx, out: Finding[], plain: MemberNotes): Promise<void> {
    for (const e of await tar.listTar(src)) {
      this.check();
      ctx.budget.check();
      tarEntryNotes(e, display, out);
      if (e.type !== 'file' || e.size === 0) continue;
      const member = `${display}!${e.name}`;
      const msrc = tar.memberSource(src, e, member);
      const det = await detectSource(msrc);
      if (det.format === 'unknown' && !/\.(pkl|pickle)$/i.test(e.name)) {
        this.unclaimed(await msrc.read(0, Math.min(msrc.size, HEAD_SIZE)), e.name, member, plain, out);
        continue;
      }
      const nestedArchive = ['zip', 'pytorch', 'torchscript', 'npz', 'keras', 'tar'].includes(det.format);
      if (nestedArchive && depth + 1 > this.opts.maxDepth) {
        out.push(finding('medium', 'archive.nested-depth', member, 'entry', `archive nested deeper than ${this.opts.maxDepth} levels: not scanned`));
        continue;
      }
      const r = await this.source(msrc, member, depth + 1, { ...ctx, sibling: null }, det.format === 'unknown' ? { format: 'pickle' } : det);
      out.push(...r.findings);
    }
  }

  /** A compressed tar, streamed once: members up to a cap are kept whole and scanned, larger ones by their head only. */
  private async compressedTar(src: ByteSource, codec: Compression, display: string, depth: number, ctx: Ctx, out: Finding[], plain: MemberNotes): Promise<void> {
    const budget = Math.max(0, this.opts.maxInflatedTotal - ctx.inflated);
    const keepWhole = Math.min(64 << 20, this.opts.maxMemberBytes);
    const res = await tar.walkTarStream(
      inflateStream(src, codec),
      (e) => (e.type === 'file' ? (e.size <= keepWhole ? e.size : HEAD_SIZE) : 0),
      async (e, data) => {
        this.check();
        ctx.budget.check();
        tarEntryNotes(e, display, out);
        if (!data) return;
        const member = `${display}!${e.name}`;
        const msrc = new BufferSource(member, data);
        const det = await detectSource(msrc);
        if (det.format === 'unknown' && !/\.(pkl|pickle)$/i.test(e.name)) {
          this.unclaimed(data.subarray(0, HEAD_SIZE), e.name, member, plain, out);
          return;
        }
        if (data.length < e.size) {
          out.push(finding('medium', 'file.unscannable', member, 'entry', `${det.format} member of ${e.size} bytes inside a compressed tar exceeds the ${keepWhole}-byte in-memory scan cap: not scanned`));
          return;
        }
        const r = await this.source(msrc, member, depth + 1, { ...ctx, sibling: null }, det.format === 'unknown' ? { format: 'pickle' } : det);
        out.push(...r.findings);
      },
      budget,
    );
    ctx.inflated += res.bytes;
    if (res.truncated) out.push(finding('high', 'archive.bomb', display, 'file', `decompressed tar exceeds the ${budget}-byte scan budget (from ${src.size} compressed bytes): rest not scanned`));
  }

  // ---- files and folders --------------------------------------------------------------------

  async file(abs: string, display: string, sibling: SiblingLookup | null): Promise<FileReport> {
    let src: FileSource;
    try {
      src = await FileSource.open(abs, { sync: this.opts.blockingIo === true });
    } catch (e) {
      return { path: display, format: 'unknown', bytes: 0, findings: [finding('medium', 'file.unscannable', display, 'file', `cannot read: ${(e as Error).message}`)], error: (e as Error).message };
    }
    const budget = new Budget(this.opts.maxFileMs, this.opts.maxFileMemory);
    const ctx: Ctx = { opts: this.opts, inflated: 0, sibling, budget };
    // The readers check the deadline in their loops (a blocked event loop never runs a timer); the
    // timer catches the other case, a read that never comes back. Either way the folder scan goes on.
    let timer: NodeJS.Timeout | undefined;
    const overtime = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BudgetExceededError('time', `not fully scanned: the per-file time budget of ${this.opts.maxFileMs / 1000} s ran out`)), this.opts.maxFileMs + 50);
      timer.unref?.();
    });
    const work = this.fileBody(src, display, ctx);
    work.catch(() => undefined); // after a timeout its rejection has no one waiting
    try {
      return await Promise.race([work, overtime]);
    } catch (e) {
      if (e instanceof ScanCancelledError) throw e;
      if (e instanceof BudgetExceededError) {
        // When the timer won, the work stops at its next budget check: give it a moment to hand over what it found.
        const settled = e.partial.length ? e : await Promise.race([work.then(() => e, (x: unknown) => x), new Promise((res) => setTimeout(res, 1000, e))]);
        const partial = (settled instanceof BudgetExceededError ? settled : e).partial as Finding[];
        return { path: display, format: 'unknown', bytes: src.size, findings: [...partial, finding('medium', 'file.unscannable', display, 'file', e.message)] };
      }
      return { path: display, format: 'unknown', bytes: src.size, findings: [finding('medium', 'file.unscannable', display, 'file', `scan failed: ${(e as Error).message}`)], error: (e as Error).message };
    } finally {
      clearTimeout(timer);
      // The timed-out work may still be reading: let it fail on its next budget check, then close.
      if (budget.expired) void work.finally(() => src.close()).catch(() => undefined);
      else await src.close();
    }
  }

  private async fileBody(src: FileSource, display: string, ctx: Ctx): Promise<FileReport> {
    // The detection inspect uses too, so the two never disagree about what a file is.
    const det = await detectFile(src, nameOf(display));
    if (det.variant === 'keras-metadata') return { path: display, format: det.format, bytes: src.size, findings: await savedmodel.scanKerasMetadata(src, display) };
    const r = await this.source(src, display, 0, ctx, det);
    const findings = r.findings;
    if (!ZIP_FAMILY.has(r.format)) await this.tailZip(src, display, 0, ctx, r.format, findings);
    if (r.format === 'unknown' && findings.length === 0) findings.push(finding('info', 'file.not-model', display, 'file', 'not a model file: no format Hallmark reads (nothing in it is loaded as a model)'));
    return { path: display, format: r.format, bytes: src.size, findings };
  }

}

/** One file to scan: where its bytes are, and the name to report (and judge names by). */
export interface ScanItem {
  path: string;
  display: string;
  /** Part of a model folder (enables folder rules such as remote-code .py files). */
  inFolder?: boolean;
  /** Resolves relative paths named inside the file; default: next to `path` on disk. */
  sibling?: SiblingLookup | null;
  /** A finding about the item itself (e.g. it was reached through a link). */
  note?: Finding;
  /** Known size (saves a stat for progress totals). */
  size?: number;
}

/** Expands paths (files and folders) into the files to scan, plus link findings. */
export async function expandPaths(paths: string[]): Promise<ScanItem[]> {
  const out: ScanItem[] = [];
  for (const p of paths) {
    const st = await fs.lstat(p);
    if (st.isDirectory()) {
      const root = path.resolve(p);
      const realRoot = await fs.realpath(root);
      for (const e of await listFolder(root)) {
        const abs = path.join(root, e.rel);
        const display = path.join(p, e.rel);
        if (e.kind === 'file') out.push({ path: abs, display, inFolder: true, size: e.size });
        else if (e.kind === 'symlink') {
          const real = await fs.realpath(abs).catch(() => null);
          const st2 = real ? await fs.stat(real).catch(() => null) : null;
          if (!real || !st2?.isFile()) continue;
          const outside = path.relative(realRoot, real).startsWith('..');
          out.push({ path: real, display, inFolder: true, sibling: diskSiblings(abs), note: finding('info', 'file.symlink', display, 'file', `link to ${outside ? `${real}, outside the scanned folder` : path.relative(realRoot, real)}; the target's content was scanned`) });
        }
      }
    } else if (st.isSymbolicLink()) {
      out.push({ path: await fs.realpath(p), display: p, sibling: diskSiblings(path.resolve(p)) });
    } else if (st.isFile()) {
      out.push({ path: path.resolve(p), display: p, size: st.size });
    } else {
      throw new FormatError(`${JSON.stringify(p)} is not a file or folder (devices, sockets and pipes are not scanned)`);
    }
  }
  return out;
}

const resolveOpts = (options: ScanOptions): Opts => ({ ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) });

/** Scans a list of files (bytes at `path`, reported as `display`) with a small worker pool. */
export async function scanFiles(items: ScanItem[], options: ScanOptions = {}): Promise<ScanReport> {
  const opts = resolveOpts(options);
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const scanner = new Scanner(opts);
  const results: FileReport[] = new Array(items.length);
  const sizes = await Promise.all(items.map(async (i) => i.size ?? fs.stat(i.path).then((s) => s.size).catch(() => 0)));
  const total = sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const queues = [items.map((_, i) => i).filter((i) => sizes[i]! <= LARGE_FILE), items.map((_, i) => i).filter((i) => sizes[i]! > LARGE_FILE)];
  const worker = (queue: number[]) => async (): Promise<void> => {
    for (;;) {
      const i = queue.shift();
      if (i === undefined) return;
      if (opts.signal?.aborted) throw new ScanCancelledError();
      const it = items[i]!;
      const r = await scanner.file(it.path, it.display, it.sibling === undefined ? diskSiblings(it.path) : it.sibling);
      if (it.note) r.findings.unshift(it.note);
      results[i] = r;
      done += sizes[i]!;
      opts.onProgress?.(done, total, it.display);
    }
  };
  await Promise.all([
    ...Array.from({ length: Math.max(1, Math.min(opts.concurrency, queues[0]!.length)) }, () => worker(queues[0]!)()),
    ...Array.from({ length: Math.max(1, Math.min(opts.largeConcurrency, queues[1]!.length)) }, () => worker(queues[1]!)()),
  ]);
  folderRules(items, results);
  return { scanner: { name: SCANNER_NAME, version: SCANNER_VERSION }, startedAt, durationMs: Date.now() - started, files: results, summary: summarize(results) };
}

/** Scans files and folders. Order of `files` follows the input (folders expanded in name order). */
export async function scanPaths(paths: string[], options: ScanOptions = {}): Promise<ScanReport> {
  return scanFiles(await expandPaths(paths), options);
}

/** Cross-file rules for model folders: Python files that remote code would import. */
function folderRules(items: ScanItem[], results: FileReport[]): void {
  const remote = new Set(results.filter((r) => r.findings.some((f) => f.rule === 'hf.remote-code')).map((r) => path.dirname(r.path)));
  results.forEach((r, i) => {
    if (!items[i]!.inFolder || !r.path.endsWith('.py')) return;
    const used = remote.has(path.dirname(r.path));
    r.findings.push(finding(used ? 'medium' : 'info', 'hf.code-file', r.path, 'file', used ? 'Python file imported when the model is loaded with trust_remote_code=True (config.json auto_map)' : 'Python file shipped with the model'));
  });
}

/** Worst severity of a report, or null when clean. */
export function worst(report: ScanReport): Severity | null {
  let w: Severity | null = null;
  for (const f of report.files) for (const x of f.findings) w = w ? maxSeverity(w, x.severity) : x.severity;
  return w;
}

/** Scans an in-memory buffer (tests, fuzzing). */
export async function scanBuffer(name: string, buf: Buffer, options: ScanOptions = {}): Promise<{ format: FormatId; findings: Finding[] }> {
  const opts = resolveOpts(options);
  return new Scanner(opts).source(new BufferSource(name, buf), name, 0, { opts, inflated: 0, sibling: null, budget: new Budget(opts.maxFileMs, opts.maxFileMemory) });
}
