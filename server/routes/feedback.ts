import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../context';
import type { ModelsTable } from '../db/schema';
import { CATEGORIES, insertIncident, LIMITS, SEVERITIES, toIncident } from '../incidents';
import { HubError, type ValidationIssue } from '../util';
import { checkToken, tokenProblem } from '../verification';
import { findModel } from './models';
import { fileReport } from './incidents';

// The public feedback page: server-rendered, no script at all, every value escaped, a CSP that allows
// only this page's own stylesheet (by hash) and form posts back to the hub.

const CSS = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;background:#f4f5f7;color:#1b1f24}
main{max-width:680px;margin:32px auto;padding:0 16px}
.card{background:#fff;border:1px solid #d7dbe0;border-radius:10px;padding:24px;margin-bottom:16px}
h1{font-size:1.5rem;margin:0 0 4px}.sub{color:#57606a;margin:0 0 16px}
label{display:block;font-weight:600;margin:14px 0 4px}
input[type=text],input[type=email],select,textarea{width:100%;padding:8px 10px;border:1px solid #8c959f;border-radius:6px;font:inherit;background:#fff}
textarea{min-height:140px;resize:vertical}
input:focus,select:focus,textarea:focus,button:focus{outline:3px solid #0969da;outline-offset:1px}
.row{display:flex;gap:16px}.row>div{flex:1}
button{margin-top:18px;padding:10px 18px;border:0;border-radius:6px;background:#0969da;color:#fff;font:inherit;font-weight:600;cursor:pointer}
.hint{color:#57606a;font-size:.9rem;margin:2px 0 0}
.notice{padding:12px 14px;border-radius:8px;margin:0 0 16px;border:1px solid}
.ok{background:#dafbe1;border-color:#4ac26b}.warn{background:#fff8c5;border-color:#d4a72c}.err{background:#ffebe9;border-color:#ff8182}
.err ul{margin:6px 0 0;padding-left:20px}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
footer{color:#57606a;font-size:.85rem;text-align:center;margin:24px 0}
code{background:#eff1f3;padding:1px 5px;border-radius:4px}
`;
const CSS_HASH = createHash('sha256').update(CSS).digest('base64');
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${CSS_HASH}'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
export const esc = (v: string | number | null | undefined): string => String(v ?? '').replace(/[&<>"'`]/g, (c) => ESC[c]!);

const CATEGORY_LABELS: Record<string, string> = {
  technical_error: 'Technical error: bugs, wrong output, failures',
  harmful_content: 'Harmful content: unsafe or inappropriate responses',
  hallucination: 'Hallucination: false or made-up information',
  bias: 'Bias: unfair or skewed responses',
  impersonation: 'Impersonation: it claims to be another model',
  privacy_violation: 'Privacy: it revealed personal data',
  other: 'Other feedback',
};

interface FormState {
  category?: string;
  severity?: string;
  title?: string;
  description?: string;
  reporter_email?: string;
  verification_token?: string;
}

function page(title: string, inner: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><main>${inner}<footer>Hallmark incident hub · reports go to the model's provider</footer></main></body></html>`;
}

function send(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.code(status).header('content-security-policy', PAGE_CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

function notFoundPage(reply: FastifyReply, id: string): FastifyReply {
  return send(reply, 404, page('Model not found', `<div class="card"><h1>Model not found</h1><p>No model <code>${esc(id)}</code> is registered on this hub. Check the link you were given: it should look like <code>/models/model_…</code>.</p></div>`));
}

function formPage(m: ModelsTable, provider: string, o: { state?: FormState; errors?: ValidationIssue[]; notice?: string; noticeKind?: 'ok' | 'warn'; verified?: boolean }): string {
  const s = o.state ?? {};
  const opt = (values: readonly string[], selected: string | undefined, label: (v: string) => string) =>
    values.map((v) => `<option value="${esc(v)}"${v === selected ? ' selected' : ''}>${esc(label(v))}</option>`).join('');
  const errors = o.errors?.length
    ? `<div class="notice err" role="alert"><strong>Your report was not sent.</strong> Fix this and send it again:<ul>${o.errors.map((e) => `<li>${esc(e.msg)}</li>`).join('')}</ul></div>` : '';
  const notice = o.notice ? `<div class="notice ${o.noticeKind ?? 'ok'}" role="status">${esc(o.notice)}</div>` : '';
  const archived = m.is_archived ? '<div class="notice warn">The provider has archived this model. Reports still reach them.</div>' : '';
  return page(`Report a problem with ${m.display_name}`, `<div class="card">
<h1>Report a problem with ${esc(m.display_name)}</h1>
<p class="sub">Version ${esc(m.version)} · by ${esc(provider)} · <code>${esc(m.id)}</code></p>
${notice}${errors}${archived}
${o.verified ? '<div class="notice ok">You came here through a verification link from the model itself: your report will be marked verified.</div>' : ''}
<form method="post" action="/models/${esc(m.id)}/feedback" accept-charset="utf-8">
<label for="category">What kind of problem?</label>
<select id="category" name="category" required>${opt(CATEGORIES, s.category ?? 'technical_error', (v) => CATEGORY_LABELS[v] ?? v)}</select>
<div class="row"><div><label for="severity">How serious?</label>
<select id="severity" name="severity" required>${opt(SEVERITIES, s.severity ?? 'medium', (v) => v[0]!.toUpperCase() + v.slice(1))}</select></div></div>
<label for="title">Summary</label>
<input type="text" id="title" name="title" required maxlength="${LIMITS.title}" value="${esc(s.title)}" placeholder="e.g. Wrong answers to simple arithmetic">
<label for="description">What happened?</label>
<textarea id="description" name="description" required maxlength="${LIMITS.description}" placeholder="What you asked, what the model answered, what you expected">${esc(s.description)}</textarea>
<label for="reporter_email">Your e-mail (optional)</label>
<input type="email" id="reporter_email" name="reporter_email" maxlength="${LIMITS.email}" value="${esc(s.reporter_email)}" autocomplete="email">
<p class="hint">Only the model's provider sees it, to follow up with you.</p>
<div class="hp" aria-hidden="true"><label for="website">Leave this field empty</label><input type="text" id="website" name="website" tabindex="-1" autocomplete="off"></div>
${s.verification_token ? `<input type="hidden" name="verification_token" value="${esc(s.verification_token)}">` : ''}
<button type="submit">Send report</button>
</form></div>`);
}

async function providerName(hub: HubContext, m: ModelsTable): Promise<string> {
  const p = await hub.db.selectFrom('providers').select('company_name').where('id', '=', m.provider_id).executeTakeFirst();
  return p?.company_name ?? 'unknown provider';
}

const modelParam = { type: 'object', properties: { model_id: { type: 'string', maxLength: 100 } }, required: ['model_id'] };
const ID_RE = /^[A-Za-z0-9_-]{1,100}$/;

export function registerFeedbackRoutes(app: FastifyInstance, hub: HubContext): void {
  const show = async (req: FastifyRequest, reply: FastifyReply) => {
    const { model_id: raw } = req.params as { model_id: string };
    // Short links: /m/abc123 is model_abc123 (the SDK's link parser reads them so); /m/model_abc123 works too.
    const model_id = req.url.startsWith('/m/') && !raw.startsWith('model_') ? `model_${raw}` : raw;
    const q = req.query as { vt?: string; token?: string; submitted?: string };
    const m = ID_RE.test(model_id) ? await findModel(hub.db, model_id) : undefined;
    if (!m) return notFoundPage(reply, model_id);
    const token = q.vt ?? q.token;
    let verified = false;
    let notice: string | undefined;
    let noticeKind: 'ok' | 'warn' = 'ok';
    if (token) {
      const t = await checkToken(hub.db, String(token), m.id);
      if (t.ok) verified = true;
      else {
        notice = `${tokenProblem(t.reason)}. You can still send a report; it will not be marked verified.`;
        noticeKind = 'warn';
      }
    }
    if (q.submitted === '1') notice = 'Thank you: your report was sent to the model\'s provider.';
    return send(reply, 200, formPage(m, await providerName(hub, m), { verified, ...(notice ? { notice, noticeKind } : {}), state: verified ? { verification_token: String(token) } : {} }));
  };
  const pageSchema = { tags: ['feedback page'], summary: 'The public feedback page of a model (HTML, no account)', params: modelParam, querystring: { type: 'object', properties: { vt: { type: 'string', maxLength: 300 }, token: { type: 'string', maxLength: 300 }, submitted: { type: 'string', maxLength: 2 } } } };
  app.get('/models/:model_id', { schema: pageSchema }, show);
  app.get('/m/:model_id', { schema: pageSchema }, show);

  const submit = async (req: FastifyRequest, reply: FastifyReply) => {
    const { model_id } = req.params as { model_id: string };
    const wantsHtml = !String(req.headers['content-type'] ?? '').includes('json');
    try {
      await hub.limit(req, reply, 'anonymousReport', req.ip);
    } catch (e) {
      if (!wantsHtml || !(e instanceof HubError) || e.status !== 429) throw e;
      const after = Number(reply.getHeader('retry-after') ?? 60);
      return send(reply, 429, page('Too many reports', `<div class="card"><h1>Too many reports from your network</h1><div class="notice warn" role="alert">To keep this page usable, each network can send a limited number of reports. Please try again in ${Math.ceil(after / 60)} minute${after > 60 ? 's' : ''}; your browser's Back button brings your text back.</div></div>`));
    }
    const raw = (req.body ?? {}) as Record<string, unknown>;
    const field = (k: string): string | undefined => (typeof raw[k] === 'string' ? (raw[k]) : undefined);
    const state: FormState = {
      category: field('category'), severity: field('severity'), title: field('title'), description: field('description'),
      reporter_email: field('reporter_email'), verification_token: field('verification_token'),
    };
    const m = ID_RE.test(model_id) ? await findModel(hub.db, model_id) : undefined;
    if (!m) {
      if (wantsHtml) return notFoundPage(reply, model_id);
      throw new HubError(404, 'not found', { detail: 'Model not found' });
    }
    // A filled honeypot is a bot: answer as if it worked, store nothing.
    if (field('website')) {
      return wantsHtml ? reply.code(303).header('location', `/models/${m.id}?submitted=1`).send() : reply.code(202).send({ message: 'Report received' });
    }
    const issues: ValidationIssue[] = [];
    if (!state.category || !(CATEGORIES as readonly string[]).includes(state.category)) issues.push({ loc: ['body', 'category'], msg: `Choose a category (one of ${CATEGORIES.join(', ')})`, type: 'enum' });
    if (state.severity !== undefined && !(SEVERITIES as readonly string[]).includes(state.severity)) issues.push({ loc: ['body', 'severity'], msg: `Choose a severity (one of ${SEVERITIES.join(', ')})`, type: 'enum' });
    if (!state.title?.trim()) issues.push({ loc: ['body', 'title'], msg: 'Write a short summary', type: 'missing' });
    else if (state.title.length > LIMITS.title) issues.push({ loc: ['body', 'title'], msg: `The summary is longer than ${LIMITS.title} characters`, type: 'string_too_long' });
    if (!state.description?.trim()) issues.push({ loc: ['body', 'description'], msg: 'Describe what happened', type: 'missing' });
    else if (state.description.length > LIMITS.description) issues.push({ loc: ['body', 'description'], msg: `The description is longer than ${LIMITS.description} characters`, type: 'string_too_long' });
    if (state.reporter_email && state.reporter_email.length > LIMITS.email) issues.push({ loc: ['body', 'reporter_email'], msg: 'The e-mail address is too long', type: 'string_too_long' });
    try {
      if (issues.length) throw new HubError(422, 'invalid', { detail: issues });
      const row = await hub.db.transaction().execute(async (trx) => {
        const checked = await fileReport(trx, req, {
          model_id: m.id, category: state.category!, title: state.title!, description: state.description!,
          reporter_email: state.reporter_email || null, verification_token: state.verification_token || null,
        }, 'feedback_page', 'body');
        return insertIncident(trx, checked.model, {
          category: state.category!, severity: state.severity ?? 'medium', title: checked.title, description: checked.description,
          reporterEmail: checked.email, verified: checked.verified, source: 'feedback_page', clientRef: null,
        });
      });
      hub.kickWebhooks();
      if (wantsHtml) return reply.code(303).header('location', `/models/${m.id}?submitted=1`).send();
      return reply.code(201).send({ ...toIncident(row, false), message: 'Report received' });
    } catch (e) {
      if (!(e instanceof HubError) || e.status !== 422 || !wantsHtml) throw e;
      const detail = (e.body?.detail ?? []) as ValidationIssue[];
      // A dead verification link must not cost the reporter their text: show the form again, unverified.
      const tokenBad = detail.some((d) => d.loc.includes('verification_token'));
      return send(reply, 422, formPage(m, await providerName(hub, m), { state: { ...state, ...(tokenBad ? { verification_token: '' } : {}) }, errors: detail }));
    }
  };
  const postSchema = { tags: ['feedback page'], summary: 'Submit the feedback form (form-encoded or JSON, no account)', params: modelParam };
  app.post('/models/:model_id/feedback', { schema: postSchema, bodyLimit: 16 * 1024 }, submit);
  app.post('/api/v1/models/:model_id/feedback', { schema: postSchema, bodyLimit: 16 * 1024 }, submit);
}
