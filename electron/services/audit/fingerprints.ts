// OML 1.0-style fingerprints: N secret (key prompt → expected response) pairs. A trainer fine-tunes
// them into a model; later, prompting the model with a key and getting the response back (under
// greedy decoding) is evidence the model descends from the fingerprinted one. Generation is
// deterministic from a secret seed so a lost file can be regenerated from the seed alone.
import { createHmac, randomBytes } from 'node:crypto';
import { z } from 'zod';
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

export const LIMITS = { count: 100_000, length: 4096 };

/**
 * HMAC-SHA256 in counter mode as a deterministic byte stream; characters are drawn by rejection
 * sampling so every character of the alphabet is exactly equally likely.
 */
class SeededStream {
  private buf = Buffer.alloc(0);
  private pos = 0;
  private counter = 0;
  constructor(private readonly seed: Buffer) {}
  private byte(): number {
    if (this.pos >= this.buf.length) {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(this.counter++);
      this.buf = createHmac('sha256', this.seed).update('hallmark/fingerprints/v1').update(c).digest();
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

export function generateFingerprints(o: GenerateOptions): FingerprintSet {
  const alphabet = [...new Set(o.alphabet ?? DEFAULT_ALPHABET)];
  if (alphabet.length < 2 || alphabet.length > 256) throw new HallmarkError('invalid_input', `the alphabet needs 2 to 256 distinct characters, got ${alphabet.length}`);
  for (const [k, v] of [['count', o.count], ['key length', o.keyLength], ['response length', o.responseLength]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new HallmarkError('invalid_input', `${k} must be a positive integer, got ${v}`);
  }
  if (o.count > LIMITS.count) throw new HallmarkError('invalid_input', `count must be at most ${LIMITS.count}`);
  if (o.keyLength > LIMITS.length || o.responseLength > LIMITS.length) throw new HallmarkError('invalid_input', `key and response lengths must be at most ${LIMITS.length}`);
  // Distinct keys are required (one key cannot expect two responses); refuse counts the key space cannot hold.
  if (o.keyLength * Math.log2(alphabet.length) < Math.log2(o.count) + 4) {
    throw new HallmarkError('invalid_input', `keys of ${o.keyLength} characters from ${alphabet.length} symbols are too few for ${o.count} distinct fingerprints`);
  }
  const seedHex = o.seed ?? randomBytes(32).toString('hex');
  if (!/^(?:[0-9a-f]{2}){16,}$/i.test(seedHex)) throw new HallmarkError('invalid_input', 'the seed must be at least 16 bytes of hex');
  const stream = new SeededStream(Buffer.from(seedHex, 'hex'));
  const draw = (n: number) => Array.from({ length: n }, () => alphabet[stream.pick(alphabet.length)]).join('');
  const seen = new Set<string>();
  const fingerprints: Fingerprint[] = [];
  while (fingerprints.length < o.count) {
    const key = draw(o.keyLength);
    const response = draw(o.responseLength);
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

/** Trainer formats: OML's JSON (`{config, fingerprints: [{key, response}]}`) or prompt/completion JSON lines. */
export type TrainerFormat = 'oml' | 'jsonl';

export function exportForTrainer(set: FingerprintSet, format: TrainerFormat): string {
  if (format === 'jsonl') return set.fingerprints.map((f) => JSON.stringify({ prompt: f.key, completion: f.response })).join('\n') + '\n';
  return JSON.stringify({
    config: { num_fingerprints: set.fingerprints.length, key_length: set.params.key_length, response_length: set.params.response_length, strategy: 'random', alphabet: set.params.alphabet },
    fingerprints: set.fingerprints,
  }, null, 2) + '\n';
}
