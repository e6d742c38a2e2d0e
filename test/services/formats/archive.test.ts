import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BufferSource } from '../../../electron/services/formats/io';
import { listTar, match as tarMatch, TarError, walkTarStream } from '../../../electron/services/formats/tar';
import { classifyZip, ZipArchive, ZipError } from '../../../electron/services/formats/zip';
import { getCorpus, zipBytes } from '../../fixtures/corpus/index';

function tarHeader(name: string, size: number, type = '0', linkname = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0);
  h.write('0000644\0', 100);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write(type, 156);
  h.write(linkname, 157);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}
const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

describe('zip', () => {
  it('lists entries with raw names (slip and absolute names reach our checks)', async () => {
    const { root } = await getCorpus();
    for (const [f, name] of [['malicious/zip_slip.zip', '../../../../tmp/evil.sh'], ['malicious/zip_absolute.zip', '/etc/cron.d/evil']]) {
      const z = await ZipArchive.open(new BufferSource(f!, fs.readFileSync(path.join(root, f!))));
      expect(z.entries.map((e) => e.name)).toEqual([name]);
      z.close();
    }
    const z = await ZipArchive.open(new BufferSource('a.zip', await zipBytes([['ok/data.pkl', 'z']], false)));
    const s = await z.source(z.entries[0]!, 1 << 20, 'a.zip!ok/data.pkl');
    expect(s.constructor.name).toBe('SliceSource'); // stored members are read in place
    expect((await s.read(0, 10)).toString()).toBe('z');
    z.close();
  });

  it('refuses to inflate past the cap', async () => {
    const z = await ZipArchive.open(new BufferSource('b.zip', await zipBytes([['zeros', Buffer.alloc(1 << 20)]])));
    await expect(z.source(z.entries[0]!, 1000, 'x')).rejects.toBeInstanceOf(ZipError);
    expect((await z.head(z.entries[0]!, 100)).length).toBe(100);
    z.close();
  });

  it('classifies zips by member names', () => {
    expect(classifyZip(['archive/data.pkl', 'archive/data/0'])).toBe('pytorch');
    expect(classifyZip(['m/code/__torch__/m.py', 'm/constants.pkl', 'm/data.pkl'])).toBe('torchscript');
    expect(classifyZip(['config.json', 'metadata.json', 'model.weights.h5'])).toBe('keras');
    expect(classifyZip(['a.npy', 'b.npy'])).toBe('npz');
    expect(classifyZip(['readme.txt'])).toBe('zip');
  });

  it('throws typed errors on garbage', async () => {
    await expect(ZipArchive.open(new BufferSource('x', Buffer.from('PK\x03\x04garbage')))).rejects.toBeInstanceOf(ZipError);
  });
});

describe('tar', () => {
  it('lists members, links, GNU long names and pax paths by random access', async () => {
    const long = 'd/'.repeat(80) + 'file.pkl';
    const pax = Buffer.from(`${('30 path=' + 'p'.repeat(20) + '\n').length} path=${'p'.repeat(20)}\n`);
    const t = Buffer.concat([
      tarHeader('a.txt', 3), pad(Buffer.from('abc')),
      tarHeader('link', 0, '2', '/etc/passwd'),
      tarHeader('././@LongLink', long.length + 1, 'L'), pad(Buffer.from(long + '\0')), tarHeader('short', 1), pad(Buffer.from('x')),
      tarHeader('PaxHeader', pax.length, 'x'), pad(pax), tarHeader('ignored', 0),
      Buffer.alloc(1024),
    ]);
    expect(tarMatch(t)).toBe(true);
    const es = await listTar(new BufferSource('t.tar', t));
    expect(es.map((e) => [e.name, e.type, e.linkname])).toEqual([['a.txt', 'file', ''], ['link', 'symlink', '/etc/passwd'], [long, 'file', ''], ['p'.repeat(20), 'file', '']]);
    const seen: string[] = [];
    const res = await walkTarStream(Readable.from([t.subarray(0, 700), t.subarray(700)]), (e) => e.size, async (e, d) => void seen.push(`${e.name}=${d?.toString() ?? ''}`), 1 << 20);
    expect(seen[0]).toBe('a.txt=abc');
    expect(res.entries).toBe(4);
  });

  it('rejects members that claim more bytes than the archive has', async () => {
    const t = Buffer.concat([tarHeader('big', 1 << 30), Buffer.alloc(512)]);
    await expect(listTar(new BufferSource('t', t))).rejects.toBeInstanceOf(TarError);
  });
});
