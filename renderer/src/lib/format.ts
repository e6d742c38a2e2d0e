// Number, size, time formatting shared by every view.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];

/** Decimal units (what disks and networks use): 1.5 GB, 412 MB. */
export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  if (n < 1000) return `${n} B`;
  let v = n;
  let i = 0;
  while (v >= 1000 && i < UNITS.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${UNITS[i]}`;
}

/** Binary units for memory: 23.4 GiB. */
export function fmtGiB(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return `${(n / 2 ** 30).toFixed(1)} GiB`;
}

export const fmtSpeed = (bps: number | null | undefined): string => (bps && bps > 0 ? `${fmtBytes(bps)}/s` : '');

/** A job's unit (contract JobUnit; uploads count bytes). */
export type ProgressUnit = 'bytes' | 'steps' | 'fraction';

/** "1.2 MB of 4.0 MB", "120 of 960 steps", "40%": a job's progress in its own unit. */
export function fmtProgress(unit: ProgressUnit, done: number, total: number | null): string {
  if (unit === 'bytes') return total ? `${fmtBytes(done)} of ${fmtBytes(total)}` : done ? fmtBytes(done) : '';
  if (unit === 'steps') return total ? `${fmtInt(done)} of ${fmtInt(total)} steps` : done ? `${fmtInt(done)} steps` : '';
  return total ? `${Math.floor((done / total) * 100)}%` : '';
}

/** A job's rate in its own unit: "3.1 MB/s", "2.4 steps/s"; nothing for a bare fraction. */
export function fmtUnitRate(unit: ProgressUnit, perSec: number | null | undefined): string {
  if (!perSec || perSec <= 0 || !Number.isFinite(perSec)) return '';
  if (unit === 'bytes') return fmtSpeed(perSec);
  if (unit === 'steps') return `${perSec >= 10 ? perSec.toFixed(0) : perSec.toFixed(1)} steps/s`;
  return '';
}

export function fmtEta(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '';
  if (sec < 1) return '<1s';
  if (sec < 60) return `${Math.round(sec)}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ${Math.round(sec % 60)}s`;
  return `${Math.floor(sec / 3600)}h ${Math.round((sec % 3600) / 60)}m`;
}

export const fmtInt = (n: number): string => n.toLocaleString('en-US');

/** Parameter counts the way model cards write them: 7.2B, 350M, 12.5K, 32. */
export function fmtParams(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  for (const [unit, v] of [['T', 1e12], ['B', 1e9], ['M', 1e6], ['K', 1e3]] as const) {
    if (n >= v) return `${Number((n / v).toPrecision(3))}${unit}`;
  }
  return String(Math.round(n));
}

export function fmtNumber(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const a = Math.abs(n);
  if (a !== 0 && (a < 1e-4 || a >= 1e9)) return n.toExponential(3);
  return Number(n.toPrecision(6)).toString();
}

/** Milliseconds with sensible precision: 0.32 ms, 12.4 ms, 1,204 ms. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return `${ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms).toLocaleString('en-US')} ms`;
}

/** A rate or other measured quantity: 3 significant digits. */
export const fmtRate = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x >= 100 ? Math.round(x).toLocaleString('en-US') : Number(x.toPrecision(3)).toString());

export function fmtDelta(d: number | null, a: number | null): string {
  if (d === null) return '—';
  const sign = d > 0 ? '+' : d < 0 ? '−' : '±';
  const pct = a ? ` (${sign}${Math.abs((d / a) * 100).toFixed(Math.abs(d / a) < 0.1 ? 2 : 1)}%)` : '';
  return `${sign}${fmtNumber(Math.abs(d))}${pct}`;
}

const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 min ago", "yesterday", then a date (with the time unless `dateOnly`). */
export function fmtRelative(iso: string | null | undefined, now = Date.now(), dateOnly = false): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return iso;
  const s = Math.round((t - now) / 1000);
  const a = Math.abs(s);
  if (a < 45) return 'just now';
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute');
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour');
  if (a < 86400 * 7) return rtf.format(Math.round(s / 86400), 'day');
  return dateOnly ? fmtDate(iso).slice(0, 10) : fmtDate(iso);
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false }).replace(',', '');
}

export const shortHash = (h: string, n = 12): string => (h.length > n ? h.slice(0, n) : h);

/** A quoted value for error messages: "bad tag". */
export const q = (v: unknown): string => JSON.stringify(v);

export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

/** "1 prediction", "3 predictions". */
export const plural = (n: number, word: string, many = `${word}s`): string => `${fmtInt(n)} ${n === 1 ? word : many}`;
