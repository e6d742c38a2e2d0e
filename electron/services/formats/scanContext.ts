// The contract between the scanner's walk (scan/scanner.ts: files, archive members, every-loader union,
// budgets) and each format's scan rules (`rules` in formats/<format>.ts). Rules see one source and this
// context; recursion, inflation caps and disk access stay with the walker, so a format file never needs
// to know how it was reached.
import type { Budget } from './budget';
import type { Finding, Severity } from './finding';
import type { ByteSource } from './io';
import type { Compression, Detection, FormatId } from './types';

/** Where a path named inside a file (ONNX external data) really is: a file, outside the folder, or missing. */
export type SiblingLookup = (rel: string) => Promise<{ path: string; size: number; links?: number; symlink?: boolean } | 'outside' | null>;

export interface ScanLimits {
  /** Nested archives (and bytes handed to nested loaders) deeper than this are reported, not opened. */
  maxDepth: number;
  /** Largest single member or compressed stream inflated into memory. */
  maxMemberBytes: number;
  /** Total bytes inflated for one top-level file. */
  maxInflatedTotal: number;
  /** Compression ratio above which a large stream is a bomb. */
  bombRatio: number;
}

/** One source being judged by one format's rules. */
export interface FormatScan {
  readonly src: ByteSource;
  /** The name findings report (`model.pt!archive/data.pkl` for members). */
  readonly display: string;
  /** Archive nesting depth of `src` (0 for a file on disk). */
  readonly depth: number;
  readonly detection: Detection;
  /** The findings sink; an archive hands it on as partial findings when the budget runs out. */
  readonly out: Finding[];
  /** Time and memory for the whole top-level file. */
  readonly budget: Budget;
  readonly limits: Readonly<ScanLimits>;
  /** Resolves paths named inside the file; null inside archives (nothing to resolve against). */
  readonly sibling: SiblingLookup | null;
  /**
   * Judges bytes as a whole file of their own, one level deeper, by every loader that would read them
   * (bytes a pickle hands to torch.load, a joblib sibling file); their findings go to `out`.
   * `detached` drops the sibling lookup (the bytes have no folder of their own).
   */
  scan(src: ByteSource, display: string, how?: { detection?: Detection; detached?: boolean }): Promise<void>;
  /** Walks `src` as a zip archive of this kind (member recursion lives in the scanner). */
  zip(kind: FormatId): Promise<void>;
  /** Inflates under the member cap and what is left of the file's total; counted against the total. */
  inflate(src: ByteSource, codec: Compression): Promise<Buffer>;
  /** Opens a file found through `sibling`, with the scan's I/O mode. */
  open(path: string): Promise<ByteSource & { close(): Promise<void> }>;
  /** The source parsed as JSON under the JSON size cap and the file's memory budget. */
  json(): Promise<unknown>;
}

/** A format's scan rules, looked up by the format id detection gives. */
export interface FormatRules {
  scan(s: FormatScan): Promise<void>;
  /** What a FormatError while reading this format is reported as (default: file.unscannable, medium). */
  malformed?: { rule: string; severity: Severity };
  /** A finding for that error other than the default `${name}: ${message}` one, or null for the default. */
  damage?(e: Error & { offset?: number }, display: string, location: string): Finding | null;
}
