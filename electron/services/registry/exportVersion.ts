import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { type Readable, Transform } from 'node:stream';
import yazl from 'yazl';
import type { AppContext } from '../AppContext';
import { HallmarkError, quote } from '../errors';
import type { JobHandle } from '../jobs/JobManager';
import { loadAttachment } from '../signing/store';
import { fileError } from './BlobStore';

/**
 * Writes a version's files into a zip (stored, not deflated: weights do not compress and this keeps it fast).
 * Every file is hashed as it is read (no second pass): bytes that no longer match the manifest abort the
 * export and remove the partial zip, unless `force`, which exports them and returns a warning per file.
 */
export async function exportVersion(ctx: AppContext, name: string, version: number, out: string, job: JobHandle, opts: { force?: boolean } = {}): Promise<{ path: string; bytes: number; warnings?: string[] }> {
  const registry = ctx.registry;
  const v = registry.version(name, version);
  const dest = path.resolve(out);
  if (fs.existsSync(dest)) throw new HallmarkError('exists', `${quote(dest)} already exists; choose another name`);
  const tmp = `${dest}.part-${process.pid}`;
  const zip = new yazl.ZipFile();
  // yazl's output is a PassThrough at run time; typed as a plain ReadableStream.
  const output = zip.outputStream as unknown as Readable;
  const warnings: string[] = [];
  // The version's signature goes with it as model.sig (the reference tool's default name, outside what it
  // hashes): Hallmark's attachment for a vault version, or the one beside an in-place folder.
  const attachment = loadAttachment(ctx.db, v.id);
  let signature: Buffer | null = attachment;
  if (!signature && v.storage === 'in_place' && v.sourcePath && !v.files.some((f) => f.path === 'model.sig')) {
    try {
      signature = await fsp.readFile(path.join(v.sourcePath, 'model.sig'));
    } catch {
      signature = null; // no signature beside the folder
    }
  }
  if (signature) zip.addBuffer(signature, 'model.sig', { compress: false, mtime: new Date(v.createdAt) });
  for (const f of v.files) {
    // Hallmark's newer signature replaces a model.sig imported as a file: one entry per name.
    if (attachment && f.path === 'model.sig') {
      warnings.push('the version\'s own model.sig was replaced in the zip by the signature made in Hallmark');
      continue;
    }
    const p = registry.filePath(v.id, f.path, `${v.model}@${v.version}`);
    if (!fs.existsSync(p)) throw new HallmarkError('missing_file', `${quote(f.path)} of ${v.model}@${v.version} is missing at ${quote(p)}; run verify`);
    const hash = createHash('sha256');
    let size = 0;
    const check = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
      flush(cb) {
        const actual = hash.digest('hex');
        if (actual === f.sha256 && size === f.size) return cb();
        const what = `${quote(f.path)} no longer matches ${v.model}@${v.version}'s manifest (sha256 ${actual}, ${size} bytes; expected ${f.sha256}, ${f.size} bytes)`;
        if (opts.force) {
          warnings.push(`${what}; exported anyway (--force)`);
          return cb();
        }
        cb(new HallmarkError('changed', `${what}; nothing was exported. Run verify (and repair), or export with --force to write the bytes as they are`));
      },
    });
    const src = fs.createReadStream(p);
    src.on('error', (e) => check.destroy(e));
    // yazl does not watch the streams it is given: a failing check fails the zip's output, hence the pipeline.
    check.on('error', (e) => output.destroy(e));
    // With --force a file whose size changed is written as it is (no size declared up front).
    zip.addReadStream(src.pipe(check), f.path, { compress: false, ...(opts.force ? {} : { size: f.size }), mtime: new Date(v.createdAt) });
  }
  // yazl reports a wrong size on the ZipFile, not on its output stream: fail the pipeline with it.
  zip.on('error', (e: Error) => output.destroy(e));
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
    if (/unexpected number of bytes/.test((e as Error).message)) {
      throw new HallmarkError('changed', `a file of ${v.model}@${v.version} changed size since it was registered; nothing was exported. Run verify, or export with --force`);
    }
    throw e instanceof HallmarkError ? e : fileError(e, dest);
  }
  const { size } = await fsp.stat(dest);
  return { path: dest, bytes: size, ...(warnings.length ? { warnings } : {}) };
}
