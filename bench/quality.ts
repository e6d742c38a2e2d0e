// Data-quality benchmark: throughput of the streamed baseline profile and check on a synthetic CSV,
// as a ratio to csv-parse alone on the same file in the same run (the floor: every row must be parsed),
// plus the peak heap growth (it must stay flat whatever the file size).
//
//   npx tsx bench/quality.ts     BENCH_ROWS=1000000 (default 500000)  BENCH_REPEATS=3
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse';
import { checkSource } from '../electron/services/quality/check';
import { profileSource } from '../electron/services/quality/profile';
import { openTable } from '../electron/services/quality/reader';
import { rows, toCsv } from '../test/services/quality/synthetic';

const N = Number(process.env.BENCH_ROWS ?? 500_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hallmark-bench-quality-'));
const train = path.join(dir, 'train.csv');
const input = path.join(dir, 'input.csv');
fs.writeFileSync(train, toCsv(rows(20_000, 1)));
{
  // Written in chunks: the bench itself must not hold the file in memory either.
  const fd = fs.openSync(input, 'w');
  const CH = 50_000;
  for (let i = 0; i < N; i += CH) {
    const text = toCsv(rows(Math.min(CH, N - i), 1000 + i, { ageShift: 1 }));
    fs.writeSync(fd, i === 0 ? text : text.slice(text.indexOf('\n') + 1));
  }
  fs.closeSync(fd);
}
const bytes = fs.statSync(input).size;

async function rawParse(): Promise<number> {
  let n = 0;
  for await (const _ of fs.createReadStream(input, { highWaterMark: 1 << 16 }).pipe(parse({ bom: true, relax_column_count: true }))) n++;
  return n;
}

async function time(label: string, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  let peak = 0;
  for (let r = 0; r < REPEATS; r++) {
    global.gc?.();
    const h0 = process.memoryUsage().heapUsed;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed - h0)), 50);
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
    clearInterval(timer);
  }
  const med = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
  console.log(`${label.padEnd(22)} ${med.toFixed(2)} s  ${(bytes / 1e6 / med).toFixed(1)} MB/s  ${Math.round(N / med).toLocaleString()} rows/s  peak heap +${(peak / 2 ** 20).toFixed(0)} MiB`);
  return med;
}

const base = await profileSource(openTable(train));
console.log(`${N.toLocaleString()} rows, ${(bytes / 1e6).toFixed(1)} MB of CSV, ${REPEATS} repeats (median)`);
const ref = await time('csv-parse alone (ref)', rawParse);
const prof = await time('baseline profile', () => profileSource(openTable(input)));
const chk = await time('check', () => checkSource(base, openTable(input)));
console.log(`ratio to csv-parse alone: profile ${(prof / ref).toFixed(2)}×, check ${(chk / ref).toFixed(2)}× (1.0 = as fast as parsing)`);
fs.rmSync(dir, { recursive: true, force: true });
