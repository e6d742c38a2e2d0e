// PyTorch checkpoints: the zip layout of torch.save (`<prefix>/data.pkl` + `<prefix>/data/<key>`
// storages + `version`/`byteorder` records), TorchScript zips, and the legacy non-zip layout
// (5 pickles then raw storages). Tensor dtypes and shapes come from the `_rebuild_tensor*` calls and
// persistent ids in data.pkl, read statically.
import { analyzePickle, type PickleAnalysis } from './pickle/analyze';
import { FormatError, type ByteSource } from './io';
import { importsOf, isTorchLegacy, tensorSummary } from './pickle/read';
import { ZipArchive, classifyZip, type ZipEntry } from './zip';
import type { MatchContext } from './types';

export class PytorchError extends FormatError {
  constructor(message: string, offset?: number) {
    super(message, offset);
    this.name = 'PytorchError';
  }
}

/** Legacy torch.save files start with the magic-number pickle; zip checkpoints are matched as zips. */
export const match = (head: Buffer, _ctx?: MatchContext): boolean => isTorchLegacy(head);

// The main pickle(s) of a torch zip: every data.pkl at any depth (torch reads the one under the first folder).
export function dataPickles(entries: readonly ZipEntry[]): ZipEntry[] {
  return entries.filter((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
}

const MAX_PICKLE = 512 << 20;

async function smallRecord(zip: ZipArchive, entries: readonly ZipEntry[], suffix: string): Promise<string | null> {
  const e = entries.find((x) => x.name.endsWith(suffix) && x.size < 4096);
  if (!e) return null;
  return (await zip.head(e, 4096)).toString('utf8').trim();
}

export async function readZip(zip: ZipArchive): Promise<Record<string, unknown>> {
  const entries = zip.entries;
  const kind = classifyZip(entries.map((e) => e.name));
  const pkls = dataPickles(entries);
  const main = pkls[0];
  const prefix = main ? main.name.slice(0, Math.max(0, main.name.length - 'data.pkl'.length - 1)) : null;
  let analysis: PickleAnalysis | null = null;
  if (main) {
    const src = await zip.source(main, MAX_PICKLE, `${zip.src.name}!${main.name}`);
    analysis = await analyzePickle(src, { torch: true });
  }
  const out: Record<string, unknown> = {
    variant: kind,
    archivePrefix: prefix,
    entries: entries.length,
    serializationVersion: await smallRecord(zip, entries, '/version'),
    byteorder: await smallRecord(zip, entries, '/byteorder'),
    dataPickles: pkls.map((e) => e.name),
    protocol: analysis?.streams[0]?.protocol ?? null,
    imports: analysis ? importsOf(analysis) : [],
    damaged: analysis?.damage?.message ?? null,
  };
  if (kind === 'torchscript') out.codeFiles = entries.filter((e) => /(^|\/)code\/.*\.py$/.test(e.name)).map((e) => e.name).slice(0, 200);
  if (analysis) Object.assign(out, tensorSummary(analysis.tensors));
  return out;
}

export async function readLegacy(src: ByteSource): Promise<Record<string, unknown>> {
  const a = await analyzePickle(src, { torch: true });
  if (!a.torchLegacy) throw new PytorchError('not a legacy torch.save stream (magic number missing)', 0);
  return {
    variant: 'legacy',
    pickles: a.streams.length,
    protocol: a.streams[0]?.protocol ?? null,
    imports: importsOf(a),
    damaged: a.damage?.message ?? null,
    ...tensorSummary(a.tensors),
  };
}
