import type { FastifyInstance, FastifyRequest } from 'fastify';
import { newApiKey, requireScope, SCOPES } from '../auth';
import type { HubContext } from '../context';
import type { ProvidersTable } from '../db/schema';
import { forbidden, invalidField, newId, notFound, nowIso, parseJsonObject, unprocessable } from '../util';
import { body, qInt, qIntSchema, clean, cleanOpt, EMAIL_RE, HTTP_URL_RE, idParam, optStr, secured, str } from './schemas';

const ALL_SCOPES = [...SCOPES];

export function providerView(p: ProvidersTable, owner: boolean): Record<string, unknown> {
  return {
    provider_id: p.id,
    id: p.id,
    company_name: p.company_name,
    website: p.website,
    trust_center_url: p.trust_center_url,
    github_url: p.github_url,
    linkedin_url: p.linkedin_url,
    trust_level: p.trust_level,
    profile: parseJsonObject(p.profile),
    compliance: parseJsonObject(p.compliance),
    created_at: p.created_at,
    ...(owner ? { email: p.email, updated_at: p.updated_at } : {}),
  };
}

function checkUrl(field: string, v: string | null): void {
  if (v !== null && !HTTP_URL_RE.test(v)) throw invalidField(['body', field], `${field} must be an http(s) URL`);
}

function checkEmail(field: string, v: string | null): void {
  if (v !== null && !EMAIL_RE.test(v)) throw invalidField(['body', field], `${field} is not a valid e-mail address`);
}

/** The provider the path names, which must be the caller's own. */
async function ownProvider(hub: HubContext, req: FastifyRequest, id: string): Promise<ProvidersTable> {
  const caller = requireScope(req, 'admin');
  const p = await hub.db.selectFrom('providers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!p) throw notFound('Provider not found');
  if (p.id !== caller.providerId) throw forbidden('This API key belongs to another provider');
  return p;
}

const providerFields = {
  company_name: str(200), email: str(254), website: str(2048),
  trust_center_url: optStr(2048), github_url: optStr(2048), linkedin_url: optStr(2048),
};

export function registerProviderRoutes(app: FastifyInstance, hub: HubContext): void {
  app.post('/api/v1/providers/register', {
    schema: {
      tags: ['providers'],
      summary: 'Register a provider (open, rate-limited per IP): answers its first API key, once',
      body: body({ ...providerFields, company_name: str(200, 1), email: str(254, 3), website: str(2048, 1) }, ['company_name', 'email', 'website']),
    },
  }, async (req, reply) => {
    await hub.limit(req, reply, 'register', req.ip);
    const b = req.body as Record<string, string | null | undefined>;
    const company = clean(b.company_name ?? '');
    if (!company) throw invalidField(['body', 'company_name'], 'company_name must not be empty');
    const email = clean(b.email ?? '');
    checkEmail('email', email);
    const website = clean(b.website ?? '');
    checkUrl('website', website);
    const extra = { trust_center_url: cleanOpt(b.trust_center_url), github_url: cleanOpt(b.github_url), linkedin_url: cleanOpt(b.linkedin_url) };
    for (const [k, v] of Object.entries(extra)) checkUrl(k, v);
    const now = nowIso();
    const id = newId('prov');
    const key = newApiKey();
    await hub.db.transaction().execute(async (trx) => {
      await trx.insertInto('providers').values({
        id, company_name: company, email, website, ...extra, profile: '{}', compliance: '{}', trust_level: 'unverified', created_at: now, updated_at: now,
      }).execute();
      await trx.insertInto('api_keys').values({
        id: newId('key'), provider_id: id, name: 'Initial key', key_prefix: key.prefix, key_hash: key.hash, scopes: ALL_SCOPES.join(' '),
        is_active: 1, created_at: now, last_used_at: null, revoked_at: null, expires_at: null,
      }).execute();
    });
    return reply.code(201).send({
      provider_id: id, api_key: key.key, message: 'Provider registered. Store this API key now: it is shown only once.', ...extra,
    });
  });

  const update = async (req: FastifyRequest): Promise<Record<string, unknown>> => {
    const { provider_id } = req.params as { provider_id: string };
    const p = await ownProvider(hub, req, provider_id);
    const b = req.body as Record<string, string | null | undefined>;
    const set: Partial<ProvidersTable> = {};
    if (typeof b.company_name === 'string') {
      const c = clean(b.company_name);
      if (!c) throw invalidField(['body', 'company_name'], 'company_name must not be empty');
      set.company_name = c;
    }
    if (typeof b.email === 'string') {
      checkEmail('email', clean(b.email));
      set.email = clean(b.email);
    }
    if (typeof b.website === 'string') {
      checkUrl('website', clean(b.website));
      set.website = clean(b.website);
    }
    for (const k of ['trust_center_url', 'github_url', 'linkedin_url'] as const) {
      if (b[k] === undefined) continue;
      const v = cleanOpt(b[k]);
      checkUrl(k, v);
      set[k] = v;
    }
    const updated = { ...p, ...set, updated_at: nowIso() };
    await hub.db.updateTable('providers').set({ ...set, updated_at: updated.updated_at }).where('id', '=', p.id).execute();
    return { ...providerView(updated, true), message: 'Provider updated' };
  };
  const updateSchema = { tags: ['providers'], summary: 'Update the caller\'s provider', security: secured, params: idParam('provider_id'), body: body(providerFields) };
  // The contract lists PUT; SDK 0.3.0's update_provider sends PATCH. Both.
  app.put('/api/v1/providers/:provider_id', { schema: updateSchema }, update);
  app.patch('/api/v1/providers/:provider_id', { schema: updateSchema }, update);

  app.put('/api/v1/providers/:provider_id/profile', {
    schema: {
      tags: ['providers'], summary: 'Update the provider profile', security: secured, params: idParam('provider_id'),
      body: body({
        company_name: str(200), website: str(2048), description: str(5000), founded_year: { type: 'integer', minimum: 1800, maximum: 3000 },
        headquarters_location: { type: 'object', properties: { city: optStr(200), state: optStr(200), country: optStr(200) }, additionalProperties: false },
        employee_count: str(50), phone_number: str(50), support_email: str(254), logo_url: str(2048),
        trust_center_url: optStr(2048), github_url: optStr(2048), linkedin_url: optStr(2048),
      }),
    },
  }, async (req) => {
    const { provider_id } = req.params as { provider_id: string };
    const p = await ownProvider(hub, req, provider_id);
    const b = req.body as Record<string, unknown>;
    const profile = parseJsonObject(p.profile);
    const set: Partial<ProvidersTable> = {};
    for (const k of ['description', 'founded_year', 'headquarters_location', 'employee_count', 'phone_number', 'support_email', 'logo_url'] as const) {
      if (b[k] !== undefined) profile[k] = typeof b[k] === 'string' ? clean(b[k]) : b[k];
    }
    if (typeof profile.support_email === 'string') checkEmail('support_email', profile.support_email);
    if (typeof profile.logo_url === 'string') checkUrl('logo_url', profile.logo_url);
    if (typeof b.company_name === 'string' && clean(b.company_name)) set.company_name = clean(b.company_name);
    if (typeof b.website === 'string') {
      checkUrl('website', clean(b.website));
      set.website = clean(b.website);
    }
    for (const k of ['trust_center_url', 'github_url', 'linkedin_url'] as const) {
      if (b[k] === undefined) continue;
      const v = cleanOpt(b[k] as string | null);
      checkUrl(k, v);
      set[k] = v;
    }
    const now = nowIso();
    await hub.db.updateTable('providers').set({ ...set, profile: JSON.stringify(profile), updated_at: now }).where('id', '=', p.id).execute();
    return { ...providerView({ ...p, ...set, profile: JSON.stringify(profile), updated_at: now }, true), message: 'Profile updated' };
  });

  app.put('/api/v1/providers/:provider_id/compliance', {
    schema: {
      tags: ['providers'], summary: 'Update the provider\'s compliance information', security: secured, params: idParam('provider_id'),
      body: body({ compliance_certifications: { type: 'array', maxItems: 50, items: str(200) }, ai_specific_certifications: str(5000) }),
    },
  }, async (req) => {
    const { provider_id } = req.params as { provider_id: string };
    const p = await ownProvider(hub, req, provider_id);
    const b = req.body as Record<string, unknown>;
    const compliance = parseJsonObject(p.compliance);
    if (b.compliance_certifications !== undefined) compliance.compliance_certifications = (b.compliance_certifications as string[]).map(clean);
    if (b.ai_specific_certifications !== undefined) compliance.ai_specific_certifications = clean(b.ai_specific_certifications as string);
    const now = nowIso();
    await hub.db.updateTable('providers').set({ compliance: JSON.stringify(compliance), updated_at: now }).where('id', '=', p.id).execute();
    return { ...providerView({ ...p, compliance: JSON.stringify(compliance), updated_at: now }, true), message: 'Compliance information updated' };
  });

  app.get('/api/v1/providers/me', { schema: { tags: ['providers'], summary: 'The caller\'s provider', security: secured } }, async (req) => {
    const c = requireScope(req, null);
    const p = await hub.db.selectFrom('providers').selectAll().where('id', '=', c.providerId).executeTakeFirstOrThrow();
    return { ...providerView(p, true), scopes: [...c.scopes] };
  });

  app.get('/api/v1/providers/public', {
    schema: { tags: ['public'], summary: 'Public provider directory', querystring: { type: 'object', properties: { skip: qIntSchema(0, 1e9), limit: qIntSchema(1, 1000) } } },
  }, async (req) => {
    const rq = req.query as { skip?: string; limit?: string };
    const q = { skip: qInt(rq.skip, 0, 0, 1e9, 'skip'), limit: qInt(rq.limit, 100, 1, 1000, 'limit') };
    const rows = await hub.db.selectFrom('providers').selectAll().orderBy('created_at').orderBy('id').offset(q.skip).limit(q.limit).execute();
    return { providers: rows.map((p) => providerView(p, false)), skip: q.skip, limit: q.limit };
  });

  app.get('/api/v1/providers/:provider_id/public', {
    schema: { tags: ['public'], summary: 'A provider\'s public page', params: idParam('provider_id') },
  }, async (req) => {
    const { provider_id } = req.params as { provider_id: string };
    const p = await hub.db.selectFrom('providers').selectAll().where('id', '=', provider_id).executeTakeFirst();
    if (!p) throw notFound('Provider not found');
    const models = await hub.db.selectFrom('models').select(['id', 'display_name', 'version', 'api_model_identifier']).where('provider_id', '=', p.id).where('is_public', '=', 1).where('is_archived', '=', 0).orderBy('created_at').execute();
    return { ...providerView(p, false), models: models.map((m) => ({ model_id: m.id, display_name: m.display_name, version: m.version, api_model_identifier: m.api_model_identifier })) };
  });

  // API keys: scoped, hashed at rest, the full key answered once.
  app.get('/api/v1/providers/me/api-keys', { schema: { tags: ['api keys'], summary: 'List the provider\'s API keys (never the keys themselves)', security: secured } }, async (req) => {
    const c = requireScope(req, 'admin');
    const rows = await hub.db.selectFrom('api_keys').selectAll().where('provider_id', '=', c.providerId).orderBy('created_at').orderBy('id').execute();
    return {
      keys: rows.map((k) => ({
        id: k.id, name: k.name, key_prefix: k.key_prefix, scopes: k.scopes.split(' '), last_used_at: k.last_used_at,
        is_active: Boolean(k.is_active) && !(k.expires_at !== null && k.expires_at <= nowIso()), created_at: k.created_at, revoked_at: k.revoked_at, expires_at: k.expires_at,
      })),
    };
  });

  app.post('/api/v1/providers/me/api-keys', {
    schema: {
      tags: ['api keys'], summary: 'Create an API key (answered once)', security: secured,
      body: body({ name: str(100, 1), scopes: { type: 'array', minItems: 1, maxItems: 4, items: { type: 'string', enum: ALL_SCOPES } }, expires_in_days: { type: 'integer', minimum: 1, maximum: 3650 } }, ['name']),
    },
  }, async (req, reply) => {
    const c = requireScope(req, 'admin');
    const b = req.body as { name: string; scopes?: string[]; expires_in_days?: number };
    const name = clean(b.name);
    if (!name) throw invalidField(['body', 'name'], 'name must not be empty');
    const scopes = [...new Set(b.scopes ?? ALL_SCOPES)];
    // A key can only hand out what it holds.
    const beyond = scopes.filter((s) => !c.scopes.has(s) && !c.scopes.has('admin'));
    if (beyond.length) throw forbidden(`This API key cannot grant ${beyond.join(', ')}`);
    const key = newApiKey();
    const now = nowIso();
    const id = newId('key');
    const expires = b.expires_in_days ? new Date(Date.now() + b.expires_in_days * 86400_000).toISOString() : null;
    await hub.db.insertInto('api_keys').values({
      id, provider_id: c.providerId, name, key_prefix: key.prefix, key_hash: key.hash, scopes: scopes.join(' '),
      is_active: 1, created_at: now, last_used_at: null, revoked_at: null, expires_at: expires,
    }).execute();
    return reply.code(201).send({ id, name, key_prefix: key.prefix, api_key: key.key, scopes, created_at: now, expires_at: expires, message: 'Store this API key now: it is shown only once.' });
  });

  app.delete('/api/v1/providers/me/api-keys/:key_id', {
    schema: { tags: ['api keys'], summary: 'Revoke an API key', security: secured, params: idParam('key_id') },
  }, async (req) => {
    const c = requireScope(req, 'admin');
    const { key_id } = req.params as { key_id: string };
    return hub.db.transaction().execute(async (trx) => {
      const k = await trx.selectFrom('api_keys').selectAll().where('id', '=', key_id).where('provider_id', '=', c.providerId).executeTakeFirst();
      if (!k) throw notFound('API key not found');
      if (k.is_active) {
        const admins = await trx.selectFrom('api_keys').select(['id', 'scopes']).where('provider_id', '=', c.providerId).where('is_active', '=', 1).execute();
        const otherAdmin = admins.some((a) => a.id !== k.id && a.scopes.split(' ').includes('admin'));
        if (k.scopes.split(' ').includes('admin') && !otherAdmin) {
          throw unprocessable([{ loc: ['path', 'key_id'], msg: 'this is the provider\'s last active admin key: create another admin key before revoking it', type: 'last_admin_key' }]);
        }
        await trx.updateTable('api_keys').set({ is_active: 0, revoked_at: nowIso() }).where('id', '=', k.id).execute();
      }
      return { id: k.id, is_active: false, message: 'API key revoked' };
    });
  });
}
