import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import yazl from 'yazl';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { fileError } from './BlobStore';
import { Registry } from './Registry';

/** Writes a version's files into a zip (stored, not deflated: weights do not compress and this keeps it fast). */
export async function exportVersion(ctx: AppContext, name: string, version: number, out: string, job: JobHandle): Promise<{ path: string; bytes: number }> {
  const registry = new Registry(ctx.db, ctx.blobs);
  const v = registry.version(name, version);
  const dest = path.resolve(out);
  if (fs.existsSync(dest)) throw new HallmarkError('exists', `${quote(dest)} already exists; choose another name`);
  const tmp = `${dest}.part-${process.pid}`;
  const zip = new yazl.ZipFile();
  for (const f of v.files) {
    const p = registry.filePath(v.id, f.path);
    if (!fs.existsSync(p)) throw new HallmarkError('missing_file', `${quote(f.path)} of ${v.model}@${v.version} is missing at ${quote(p)}; run verify`);
    zip.addReadStream(fs.createReadStream(p), f.path, { compress: false, size: f.size, mtime: new Date(v.createdAt) });
  }
  zip.end({ forceZip64Format: v.totalSize > 0xfffffff0, comment: '' });
  let done = 0;
  job.progress(0, v.totalSize, `exporting ${v.files.length} file(s)`);
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (job.signal.aborted) return cb(new HallmarkError('cancelled', 'export cancelled'));
      done += chunk.length;
      job.progress(Math.min(done, v.totalSize), v.totalSize);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(zip.outputStream, counter, fs.createWriteStream(tmp, { flags: 'wx' }));
    await fsp.rename(tmp, dest);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e instanceof HallmarkError ? e : fileError(e, dest);
  }
  const { size } = await fsp.stat(dest);
  return { path: dest, bytes: size };
}
