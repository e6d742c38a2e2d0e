import type { FastifyInstance, FastifyRequest } from 'fastify';
import { requireScope } from '../auth';
import type { HubContext } from '../context';
import type { WebhooksTable } from '../db/schema';
import { WEBHOOK_EVENTS } from '../incidents';
import { invalidField, newId, notFound, nowIso } from '../util';
import { newWebhookSecret, webhookTargetProblem } from '../webhooks';
import { body, idParam, qInt, qIntSchema, secured } from './schemas';

const hookView = (h: WebhooksTable): Record<string, unknown> => ({
  id: h.id, url: h.url, events: h.events.split(' '), is_active: Boolean(h.is_active), created_at: h.created_at,
});

export function registerWebhookRoutes(app: FastifyInstance, hub: HubContext & { allowPrivateWebhooks?: boolean }): void {
  app.post('/api/v1/providers/me/webhooks', {
    schema: {
      tags: ['webhooks'], summary: 'Register a webhook URL for incident events (answers its signing secret once)', security: secured,
      body: body({ url: { type: 'string', minLength: 8, maxLength: 2048 }, events: { type: 'array', minItems: 1, maxItems: 3, items: { type: 'string', enum: [...WEBHOOK_EVENTS] } } }, ['url']),
    },
  }, async (req, reply) => {
    const c = requireScope(req, 'admin');
    const b = req.body as { url: string; events?: string[] };
    const problem = await webhookTargetProblem(b.url, hub.allowPrivateWebhooks ?? false);
    if (problem) throw invalidField(['body', 'url'], problem);
    const count = await hub.db.selectFrom('webhooks').select((eb) => eb.fn.countAll().as('n')).where('provider_id', '=', c.providerId).where('is_active', '=', 1).executeTakeFirstOrThrow();
    if (Number(count.n) >= 20) throw invalidField(['body', 'url'], 'a provider may have at most 20 webhooks: delete one first');
    const row: WebhooksTable = {
      id: newId('wh'), provider_id: c.providerId, url: b.url, secret: newWebhookSecret(), events: [...new Set(b.events ?? WEBHOOK_EVENTS)].join(' '), is_active: 1, created_at: nowIso(),
    };
    await hub.db.insertInto('webhooks').values(row).execute();
    return reply.code(201).send({
      ...hookView(row), secret: row.secret,
      signature: 'X-Hallmark-Signature: sha256=HMAC-SHA256(secret, X-Hallmark-Timestamp + "." + raw body), hex',
      message: 'Store the secret now: it is shown only once.',
    });
  });

  app.get('/api/v1/providers/me/webhooks', { schema: { tags: ['webhooks'], summary: 'The provider\'s webhooks', security: secured } }, async (req) => {
    const c = requireScope(req, 'admin');
    const rows = await hub.db.selectFrom('webhooks').selectAll().where('provider_id', '=', c.providerId).where('is_active', '=', 1).orderBy('created_at').execute();
    return { webhooks: rows.map(hookView) };
  });

  const own = async (req: FastifyRequest): Promise<WebhooksTable> => {
    const c = requireScope(req, 'admin');
    const { webhook_id } = req.params as { webhook_id: string };
    const h = await hub.db.selectFrom('webhooks').selectAll().where('id', '=', webhook_id).where('provider_id', '=', c.providerId).executeTakeFirst();
    if (!h) throw notFound('Webhook not found');
    return h;
  };

  app.delete('/api/v1/providers/me/webhooks/:webhook_id', {
    schema: { tags: ['webhooks'], summary: 'Delete a webhook (pending deliveries are dropped; the log stays)', security: secured, params: idParam('webhook_id') },
  }, async (req) => {
    const h = await own(req);
    const now = nowIso();
    await hub.db.transaction().execute(async (trx) => {
      await trx.updateTable('webhooks').set({ is_active: 0 }).where('id', '=', h.id).execute();
      await trx.updateTable('webhook_deliveries').set({ status: 'cancelled', updated_at: now }).where('webhook_id', '=', h.id).where('status', '=', 'pending').execute();
    });
    return { id: h.id, deleted: true, message: 'Webhook deleted' };
  });

  app.get('/api/v1/providers/me/webhooks/:webhook_id/deliveries', {
    schema: {
      tags: ['webhooks'], summary: 'The delivery log of a webhook, newest first, each with its attempts', security: secured, params: idParam('webhook_id'),
      querystring: { type: 'object', properties: { limit: qIntSchema(1, 200), status: { type: 'string', enum: ['pending', 'delivered', 'failed', 'cancelled'] } } },
    },
  }, async (req) => {
    const h = await own(req);
    const rq = req.query as { limit?: string; status?: string };
    const q = { status: rq.status, limit: qInt(rq.limit, 50, 1, 200, 'limit') };
    let query = hub.db.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', h.id);
    if (q.status) query = query.where('status', '=', q.status);
    const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
    const attempts = rows.length
      ? await hub.db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', rows.map((r) => r.id)).orderBy('attempt').execute()
      : [];
    return {
      webhook_id: h.id,
      deliveries: rows.map((r) => ({
        id: r.id, event: r.event, status: r.status, attempts: Number(r.attempts), next_attempt_at: r.status === 'pending' ? r.next_attempt_at : null,
        last_status_code: r.last_status_code, last_error: r.last_error, created_at: r.created_at, updated_at: r.updated_at,
        payload: JSON.parse(r.payload) as unknown,
        attempt_log: attempts.filter((a) => a.delivery_id === r.id).map((a) => ({ attempt: Number(a.attempt), at: a.at, status_code: a.status_code, error: a.error, duration_ms: Number(a.duration_ms) })),
      })),
    };
  });
}
