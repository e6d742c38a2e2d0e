// Self-contained HTML audit reports: inline CSS, no scripts, no external resources, every value
// escaped, so the file can be mailed or attached to a release as is.
import type { StoredAudit } from '../../contract/audit';

const esc = (v: unknown): string =>
  String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pval = (p: number) => (p < 1e-4 ? p.toExponential(2) : p.toFixed(4));

// The app's verdict colours (renderer styles.css): present in accent blue, absent muted, inconclusive amber.
const COLORS: Record<string, { bg: string; fg: string }> = {
  present: { bg: '#e3ecfb', fg: '#2463d1' }, absent: { bg: '#f3f4f6', fg: '#5d6673' }, inconclusive: { bg: '#fff4e0', fg: '#a86200' },
};

/** "3 Dec 2026, 10:49:05 UTC": a time a reader of a mailed report can read, whatever their time zone. */
export function readableTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC`;
}

const duration = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);

function bar(ratio: number, ok: boolean): string {
  const w = Math.round(Math.max(0, Math.min(1, ratio)) * 100);
  return `<svg width="100" height="10" role="img" aria-label="${w}%"><rect width="100" height="10" fill="#eee"/><rect width="${w}" height="10" fill="${ok ? '#2463d1' : '#c4cad3'}"/></svg>`;
}

export function renderAuditHtml(a: StoredAudit, o: { fileName?: string } = {}): string {
  const r = a.report;
  const rows: Array<[string, string]> = [
    ['Model', esc(a.model_label)],
    ['Model file', `${esc(o.fileName ?? a.model_path)}${o.fileName && o.fileName !== a.model_path ? `<div class="note">stored at ${esc(a.model_path)}</div>` : ''}`],
    ['Audit', `${esc(r.kind === 'fingerprints' ? 'Fingerprints (OML 1.0 style)' : 'Link')} · ${esc(r.mode)}`],
    ['Match rate', `${pct(r.match_rate)} (${r.kind === 'fingerprints' ? `${r.prefix_matches}/${r.n} keys` : `${r.hits}/${r.n} identity questions`})`],
    ['p-value vs chance', `${esc(pval(r.p_value))}: the probability that a model without it scores this well by luck (chance rate ${esc(pct(r.chance))}; the verdict needs p below α = ${esc(r.rules.alpha)})`],
    ['Ran', `${esc(readableTime(a.started_at))} · took ${esc(duration(r.duration_ms))}`],
    ['Generated tokens', `${r.tokens} at ${r.tokens_per_sec.toFixed(1)} tokens/s`],
  ];
  if (r.kind === 'fingerprints') {
    rows.splice(4, 0, ['Exact matches', `${r.exact_matches}/${r.n} (set of ${r.total_fingerprints})`], ['Mean prefix reproduced', pct(r.mean_prefix_ratio)]);
  } else {
    rows.splice(2, 0, ['Registered link', esc(r.link)]);
    rows.splice(5, 0, ['False-positive rate', `${pct(r.false_positive_rate)} (${r.false_positives}/${r.unrelated_n} unrelated prompts)`]);
  }
  const detail = r.kind === 'fingerprints'
    ? `<table><thead><tr><th>#</th><th>Exact</th><th>Prefix reproduced</th><th></th><th>Tokens</th></tr></thead><tbody>${r.items.map((i) =>
      `<tr><td>${i.index + 1}</td><td>${i.exact ? 'yes' : 'no'}</td><td>${pct(i.prefix_ratio)}</td><td>${bar(i.prefix_ratio, i.hit)}</td><td>${i.tokens}</td></tr>`).join('')}</tbody></table>
      <p class="note">Keys and responses are secret and deliberately left out of this report.</p>`
    : `<table><thead><tr><th>Kind</th><th>Prompt</th><th>Link</th><th>Answer</th></tr></thead><tbody>${r.items.map((i) =>
      `<tr><td>${esc(i.category)}</td><td>${esc(i.prompt)}</td><td>${i.contains_link ? 'yes' : 'no'}</td><td class="answer">${esc(i.answer)}</td></tr>`).join('')}</tbody></table>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Hallmark audit: ${esc(a.model_label)} — ${esc(r.verdict)}</title>
<style>
body{font:14px/1.5 system-ui,-apple-system,Segoe UI,sans-serif;color:#1c2027;max-width:960px;margin:2rem auto;padding:0 1rem}
h1{font-size:1.4rem;margin:0 0 .5rem}.verdict{display:inline-block;padding:.2rem .7rem;border-radius:1rem;font-weight:600;background:${COLORS[r.verdict]?.bg ?? '#f3f4f6'};color:${COLORS[r.verdict]?.fg ?? '#1c2027'}}
.sentence{font-size:1.05rem;margin:.4rem 0 1rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border-bottom:1px solid #dde1e6;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f6f8}.answer{font-family:ui-monospace,monospace;font-size:12px;white-space:pre-wrap;word-break:break-word}.note{color:#5d6673;font-size:12px}
</style></head><body>
<h1>Audit of ${esc(a.model_label)} <span class="verdict">${esc(r.verdict)}</span></h1>
<p class="sentence">${esc(r.reason)}</p>
<table><tbody>${rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${v}</td></tr>`).join('')}</tbody></table>
${detail}
<p class="note">Generated by Hallmark. Audit id ${esc(a.id)}, finished ${esc(readableTime(a.finished_at))}.</p>
</body></html>
`;
}
