import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScope } from '../auth';
import type { HubContext } from '../context';
import type { HubDb } from '../db/open';
import { num, type IncidentsTable } from '../db/schema';
import { idempotent } from '../idempotency';
import { CATEGORIES, findIncident, insertIncident, LIMITS, patchIncident, SEVERITIES, STATUSES, toIncident, type IncidentSource } from '../incidents';
import { forbidden, HubError, invalidField, notFound, unprocessable } from '../util';
import { checkToken, newVerificationToken, tokenProblem, VERIFICATION_TTL_S } from '../verification';
import { findModel, feedbackUrl } from './models';
import { body, qInt, qIntSchema, clean, cleanOpt, EMAIL_RE, idParam, optStr, secured, str } from './schemas';

const incidentId = idParam('incident_id', '^inc_[A-Za-z0-9]{1,64}$');

export interface ReportInput {
  model_id: string;
  category: string;
  severity?: string;
  title: string;
  description: string;
  verification_token?: string | null;
  reporter_email?: string | null;
  client_ref?: string | null;
  source?: string | null;
}

/**
 * Checks a report and writes it in `trx`: shared by the SDK endpoint and the feedback page. Returns the
 * stored row and whether it already existed (a desktop retry carrying the same client_ref).
 */
export async function fileReport(db: HubDb, req: FastifyRequest, input: ReportInput, source: IncidentSource, loc: string) {
  const model = await findModel(db, input.model_id);
  if (!model) throw notFound('Model not found');
  const owner = Boolean(req.caller && req.caller.providerId === model.provider_id);
  const title = clean(input.title);
  const description = clean(input.description);
  const issues = [];
  if (!title) issues.push({ loc: [loc, 'title'], msg: 'title must not be empty', type: 'string_too_short' });
  if (!description) issues.push({ loc: [loc, 'description'], msg: 'description must not be empty', type: 'string_too_short' });
  const email = cleanOpt(input.reporter_email);
  if (email !== null && !EMAIL_RE.test(email)) issues.push({ loc: [loc, 'reporter_email'], msg: 'reporter_email is not a valid e-mail address', type: 'value_error' });
  if (issues.length) throw unprocessable(issues);
  const clientRef = cleanOpt(input.client_ref);
  if (source === 'desktop' || clientRef !== null) {
    // Only the model's owner files incidents on its behalf (the desktop app syncing its local ones).
    if (!req.caller) throw new HubError(401, 'key needed', { detail: 'source "desktop" and client_ref need the model owner\'s API key' });
    requireScope(req, 'incidents:write');
    if (!owner) throw forbidden('source "desktop" and client_ref are for the model owner\'s own incidents');
  }
  let verified = false;
  const token = cleanOpt(input.verification_token);
  if (token !== null) {
    const t = await checkToken(db, token, model.id);
    if (!t.ok) throw invalidField([loc, 'verification_token'], tokenProblem(t.reason), `verification_token_${t.reason}`);
    verified = true;
  }
  return { model, owner, title, description, email, clientRef, verified };
}

export function registerIncidentRoutes(app: FastifyInstance, hub: HubContext): void {
  app.post('/api/v1/incidents/report', {
    schema: {
      tags: ['incidents'], summary: 'Report an incident (anonymous, or with a key; the owner may send source "desktop" and client_ref)',
      body: body({
        model_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' }, category: { type: 'string', enum: [...CATEGORIES] },
        severity: { type: 'string', enum: [...SEVERITIES], default: 'medium' }, title: str(LIMITS.title, 1), description: str(LIMITS.description, 1),
        verification_token: optStr(300), reporter_email: optStr(LIMITS.email), client_ref: optStr(LIMITS.clientRef),
        source: { type: ['string', 'null'], enum: ['sdk', 'desktop', null] },
      }, ['model_id', 'category', 'title', 'description']),
    },
  }, async (req, reply) => {
    if (!req.caller) await hub.limit(req, reply, 'anonymousReport', req.ip);
    const b = req.body as ReportInput;
    const source: IncidentSource = b.source === 'desktop' ? 'desktop' : 'sdk';
    const scope = req.caller ? `prov:${req.caller.providerId}` : `ip:${req.ip}`;
    return idempotent(hub, req, reply, scope, async (trx) => {
      const checked = await fileReport(trx, req, b, source, 'body');
      if (checked.clientRef !== null) {
        const existing = await trx.selectFrom('incidents').selectAll().where('provider_id', '=', checked.model.provider_id).where('client_ref', '=', checked.clientRef).executeTakeFirst();
        if (existing) return { status: 200, body: { ...toIncident(existing, true), message: 'Incident already reported (same client_ref)' } };
      }
      const row = await insertIncident(trx, checked.model, {
        category: b.category, severity: b.severity ?? 'medium', title: checked.title, description: checked.description,
        reporterEmail: checked.email, verified: checked.verified, source, clientRef: checked.clientRef,
      });
      return { status: 201, body: { ...toIncident(row, checked.owner), message: 'Incident reported' } };
    });
  });

  app.get('/api/v1/providers/me/incidents', {
    schema: {
      tags: ['incidents'], summary: 'Incidents of the caller\'s models, newest first', security: secured,
      querystring: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: [...STATUSES] }, model_id: { type: 'string', maxLength: 100 },
          skip: qIntSchema(0, 1e9), limit: qIntSchema(1, 1000),
        },
      },
    },
  }, async (req) => {
    const c = requireScope(req, 'incidents:read');
    const raw = req.query as { status?: string; model_id?: string; skip?: string; limit?: string };
    const q = { ...raw, skip: qInt(raw.skip, 0, 0, 1e9, 'skip'), limit: qInt(raw.limit, 1000, 1, 1000, 'limit') };
    let query = hub.db.selectFrom('incidents').selectAll().where('provider_id', '=', c.providerId);
    if (q.status) query = query.where('status', '=', q.status);
    if (q.model_id) query = query.where('model_id', '=', q.model_id);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').offset(q.skip).limit(q.limit).execute();
    return { incidents: rows.map((r) => toIncident(r, true)), skip: q.skip, limit: q.limit };
  });

  const owned = async (req: FastifyRequest, scope: 'incidents:read' | 'incidents:write'): Promise<IncidentsTable> => {
    const c = requireScope(req, scope);
    const { incident_id } = req.params as { incident_id: string };
    const row = await findIncident(hub.db, incident_id);
    if (!row) throw notFound('Incident not found');
    if (row.provider_id !== c.providerId) throw forbidden('This incident concerns another provider\'s model');
    return row;
  };

  app.get('/api/v1/incidents/:incident_id', {
    schema: { tags: ['incidents'], summary: 'One incident (owner only)', security: secured, params: incidentId },
  }, async (req) => toIncident(await owned(req, 'incidents:read'), true));

  app.patch('/api/v1/incidents/:incident_id', {
    schema: {
      tags: ['incidents'], summary: 'Change an incident\'s status, severity or notes (owner only; 409 on a conflicting stale base_revision)', security: secured, params: incidentId,
      body: {
        type: 'object', additionalProperties: false, minProperties: 1,
        properties: { status: { type: 'string', enum: [...STATUSES] }, severity: { type: 'string', enum: [...SEVERITIES] }, notes: optStr(LIMITS.notes), base_revision: { type: 'integer', minimum: 1 } },
      },
    },
  }, async (req, reply) => {
    const first = await owned(req, 'incidents:write');
    const patch = req.body as { status?: string; severity?: string; notes?: string | null; base_revision?: number };
    if (patch.notes !== undefined) patch.notes = cleanOpt(patch.notes);
    return idempotent(hub, req, reply, `prov:${first.provider_id}`, async (trx) => {
      // Re-read inside the transaction: the conflict check must see the row it updates.
      const current = (await findIncident(trx, first.id))!;
      const r = await patchIncident(trx, current, patch);
      if (r.kind === 'conflict') {
        // Returned, not thrown: the fields that did not conflict are committed with the answer.
        const applied = num(r.row.revision) !== num(current.revision);
        return {
          status: 409,
          body: {
            message: `Conflict: ${r.fields.join(', ')} changed on the hub since revision ${patch.base_revision} (now revision ${num(current.revision)}); ${applied ? 'the other fields were applied' : 'nothing else to apply'}`,
            conflicting_fields: r.fields,
            incident: toIncident(r.row, true),
          },
        };
      }
      return { status: 200, body: toIncident(r.row, true) };
    });
  });

  app.get('/api/v1/sync/incidents', {
    schema: {
      tags: ['sync'], summary: 'Changes to the caller\'s incidents after a cursor, in change order', security: secured,
      querystring: { type: 'object', properties: { cursor: { type: 'string', maxLength: 40 }, limit: qIntSchema(1, 500) } },
    },
  }, async (req) => {
    const c = requireScope(req, 'incidents:read');
    const rawQ = req.query as { cursor?: string; limit?: string };
    const q = { cursor: rawQ.cursor, limit: qInt(rawQ.limit, 100, 1, 500, 'limit') };
    const raw = q.cursor ?? '0';
    if (!/^\d{1,18}$/.test(raw)) throw invalidField(['query', 'cursor'], 'cursor must be a value of next_cursor from an earlier answer (or "0")', 'cursor_invalid');
    const after = Number(raw);
    const rows = await hub.db.selectFrom('incidents').selectAll().where('provider_id', '=', c.providerId).where('seq', '>', after).orderBy('seq').limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { incidents: page.map((r) => toIncident(r, true)), next_cursor: String(last ? num(last.seq) : after), has_more: rows.length > q.limit };
  });

  app.post('/api/v1/create-verification', {
    schema: {
      tags: ['verification'], summary: 'A verification link for one of the caller\'s models, valid 15 minutes', security: secured,
      body: body({ model_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' }, user_fingerprint: str(256, 1), metadata: { type: ['object', 'null'] } }, ['model_id', 'user_fingerprint']),
    },
  }, async (req, reply) => {
    const c = requireScope(req, null);
    const b = req.body as { model_id: string; user_fingerprint: string; metadata?: Record<string, unknown> | null };
    const m = await findModel(hub.db, b.model_id);
    if (!m) throw notFound('Model not found');
    if (m.provider_id !== c.providerId) throw forbidden('This model belongs to another provider');
    if (m.is_archived) throw invalidField(['body', 'model_id'], 'this model is archived: unarchive it before issuing verification links');
    const meta = b.metadata ? JSON.stringify(b.metadata) : null;
    if (meta && meta.length > 8192) throw invalidField(['body', 'metadata'], 'metadata is larger than 8 KiB');
    const t = newVerificationToken();
    const created = new Date();
    const expires = new Date(created.getTime() + VERIFICATION_TTL_S * 1000);
    await hub.db.insertInto('verifications').values({
      token_hash: t.hash, model_id: m.id, user_fingerprint: b.user_fingerprint, metadata: meta, created_at: created.toISOString(), expires_at: expires.toISOString(), checks: 0,
    }).execute();
    return reply.code(201).send({
      verification_url: `${feedbackUrl(hub, m.id)}?vt=${t.token}`,
      token: t.token,
      expires_in: VERIFICATION_TTL_S,
      // Naive UTC: the SDK compares it with datetime.utcnow().
      created_at: created.toISOString().replace(/Z$/, ''),
      expires_at: expires.toISOString(),
      model_id: m.id,
    });
  });

  app.get('/api/v1/verify/:token', {
    schema: { tags: ['verification'], summary: 'Check a verification link', params: idParam('token', '^[A-Za-z0-9_-]{1,300}$') },
  }, async (req) => {
    const { token } = req.params as { token: string };
    const t = await checkToken(hub.db, token);
    if (!t.ok) throw notFound(tokenProblem(t.reason));
    const m = (await findModel(hub.db, t.row.model_id))!;
    const p = await hub.db.selectFrom('providers').select(['id', 'company_name', 'website', 'trust_level']).where('id', '=', m.provider_id).executeTakeFirstOrThrow();
    await hub.db.updateTable('verifications').set((eb) => ({ checks: eb('checks', '+', 1) })).where('token_hash', '=', t.row.token_hash).execute();
    return {
      valid: true, verified: true, model_id: m.id,
      model: { model_id: m.id, display_name: m.display_name, version: m.version, api_model_identifier: m.api_model_identifier, is_archived: Boolean(m.is_archived) },
      provider: { provider_id: p.id, company_name: p.company_name, website: p.website, trust_level: p.trust_level },
      created_at: t.row.created_at, expires_at: t.row.expires_at, feedback_url: feedbackUrl(hub, m.id),
    };
  });
}
