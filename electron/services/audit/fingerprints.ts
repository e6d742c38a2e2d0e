// OML 1.0-style fingerprints: N secret (key prompt → expected response) pairs. A trainer fine-tunes
// them into a model; later, prompting the model with a key and getting the response back (under
// greedy decoding) is evidence the model descends from the fingerprinted one. Generation is
// deterministic from a secret seed so a lost file can be regenerated from the seed alone.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { z } from 'zod';
import { FINGERPRINT_LIMITS, fingerprintTotalProblem } from '../../contract/audit';
import { HallmarkError } from '../errors';

export const DEFAULT_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export const FingerprintSchema = z.object({ key: z.string().min(1), response: z.string().min(1) });
export type Fingerprint = z.infer<typeof FingerprintSchema>;

export const FingerprintSetSchema = z.object({
  format: z.literal('hallmark-fingerprints'),
  version: z.literal(1),
  created_at: z.string(),
  params: z.object({
    count: z.number().int().positive(),
    key_length: z.number().int().positive(),
    response_length: z.number().int().positive(),
    alphabet: z.string().min(2),
  }),
  /** The secret seed (hex). Kept only inside the encrypted envelope. */
  seed: z.string(),
  fingerprints: z.array(FingerprintSchema).min(1),
});
export type FingerprintSet = z.infer<typeof FingerprintSetSchema>;

export interface GenerateOptions {
  count: number;
  keyLength: number;
  responseLength: number;
  /** Characters keys and responses are drawn from (default a-z0-9). */
  alphabet?: string;
  /** Secret seed as hex; a fresh random 256-bit one when omitted. */
  seed?: string;
  /** For reproducible files in tests; defaults to now. */
  createdAt?: Date;
}

export const LIMITS = FINGERPRINT_LIMITS;

/** Characters drawn between yields to the event loop (a few milliseconds of work). */
const CHUNK_CHARS = 1 << 16;

/**
 * HMAC-SHA256 in counter mode as a deterministic byte stream; characters are drawn by rejection
 * sampling so every character of the alphabet is exactly equally likely.
 */
class SeededStream {
  private buf = Buffer.alloc(0);
  private pos = 0;
  private counter = 0;
  private readonly inner: Hash;
  private readonly outer: Hash;
  private readonly block = Buffer.alloc(4);
  constructor(seed: Buffer) {
    // HMAC-SHA256 (RFC 2104) with the keyed pads and the fixed label hashed once and copied per
    // block: the same bytes as createHmac(seed).update(label).update(counter), at a fraction of the
    // cost (a large set draws millions of blocks).
    const key = Buffer.alloc(64);
    (seed.length > 64 ? createHash('sha256').update(seed).digest() : seed).copy(key);
    this.inner = createHash('sha256').update(key.map((b) => b ^ 0x36)).update('hallmark/fingerprints/v1');
    this.outer = createHash('sha256').update(key.map((b) => b ^ 0x5c));
  }
  private byte(): number {
    if (this.pos >= this.buf.length) {
      this.block.writeUInt32BE(this.counter++);
      const h = this.inner.copy().update(this.block).digest();
      this.buf = this.outer.copy().update(h).digest();
      this.pos = 0;
    }
    return this.buf[this.pos++]!;
  }
  pick(n: number): number {
    const limit = 256 - (256 % n);
    for (;;) {
      const b = this.byte();
      if (b < limit) return b % n;
    }
  }
}

/**
 * Generates a set. The work runs as steps of about CHUNK_CHARS characters; `generateFingerprints`
 * runs them back to back (small sets, tests), `generateFingerprintsAsync` yields to the event loop
 * between them so the app, the bridge and progress stay responsive during a large set. Both give
 * the same set for the same seed.
 */
function* generationSteps(o: GenerateOptions): Generator<void, FingerprintSet> {
  const alphabet = [...new Set(o.alphabet ?? DEFAULT_ALPHABET)];
  if (alphabet.length < 2 || alphabet.length > 256) throw new HallmarkError('invalid_input', `the alphabet needs 2 to 256 distinct characters, got ${alphabet.length}`);
  for (const [k, v] of [['count', o.count], ['key length', o.keyLength], ['response length', o.responseLength]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new HallmarkError('invalid_input', `${k} must be a positive integer, got ${v}`);
  }
  if (o.count > LIMITS.count) throw new HallmarkError('invalid_input', `count must be at most ${LIMITS.count}, got ${o.count}`);
  if (o.keyLength > LIMITS.keyLength) throw new HallmarkError('invalid_input', `key length must be at most ${LIMITS.keyLength}, got ${o.keyLength}`);
  if (o.responseLength > LIMITS.responseLength) throw new HallmarkError('invalid_input', `response length must be at most ${LIMITS.responseLength}, got ${o.responseLength}`);
  const total = fingerprintTotalProblem(o.count, o.keyLength, o.responseLength);
  if (total) throw new HallmarkError('invalid_input', total);
  // Distinct keys are required (one key cannot expect two responses); refuse counts the key space cannot hold.
  if (o.keyLength * Math.log2(alphabet.length) < Math.log2(o.count) + 4) {
    throw new HallmarkError('invalid_input', `keys of ${o.keyLength} characters from ${alphabet.length} symbols are too few for ${o.count} distinct fingerprints`);
  }
  const seedHex = o.seed ?? randomBytes(32).toString('hex');
  if (!/^(?:[0-9a-f]{2}){16,}$/i.test(seedHex)) throw new HallmarkError('invalid_input', 'the seed must be at least 16 bytes of hex');
  const stream = new SeededStream(Buffer.from(seedHex, 'hex'));
  const chars = new Array<string>(Math.max(o.keyLength, o.responseLength));
  const draw = (n: number) => {
    chars.length = n;
    for (let i = 0; i < n; i++) chars[i] = alphabet[stream.pick(alphabet.length)]!;
    return chars.join('');
  };
  const seen = new Set<string>();
  const fingerprints: Fingerprint[] = [];
  let sinceYield = 0;
  while (fingerprints.length < o.count) {
    const key = draw(o.keyLength);
    const response = draw(o.responseLength);
    sinceYield += o.keyLength + o.responseLength;
    if (sinceYield >= CHUNK_CHARS) {
      sinceYield = 0;
      yield;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    fingerprints.push({ key, response });
  }
  return {
    format: 'hallmark-fingerprints',
    version: 1,
    created_at: (o.createdAt ?? new Date()).toISOString(),
    params: { count: o.count, key_length: o.keyLength, response_length: o.responseLength, alphabet: alphabet.join('') },
    seed: seedHex.toLowerCase(),
    fingerprints,
  };
}

export function generateFingerprints(o: GenerateOptions): FingerprintSet {
  const steps = generationSteps(o);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** As generateFingerprints, yielding to the event loop every few milliseconds of work. */
export async function generateFingerprintsAsync(o: GenerateOptions): Promise<FingerprintSet> {
  const steps = generationSteps(o);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Trainer formats: OML's JSON (`{config, fingerprints: [{key, response}]}`) or prompt/completion JSON lines. */
export type TrainerFormat = 'oml' | 'jsonl';

export function exportForTrainer(set: FingerprintSet, format: TrainerFormat): string {
  if (format === 'jsonl') return set.fingerprints.map((f) => JSON.stringify({ prompt: f.key, completion: f.response })).join('\n') + '\n';
  return JSON.stringify({
    config: { num_fingerprints: set.fingerprints.length, key_length: set.params.key_length, response_length: set.params.response_length, strategy: 'random', alphabet: set.params.alphabet },
    fingerprints: set.fingerprints,
  }, null, 2) + '\n';
}
