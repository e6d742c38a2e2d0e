import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { requireScope } from '../auth';
import type { HubContext } from '../context';
import type { HubDb } from '../db/open';
import { num, type ModelsTable } from '../db/schema';
import { forbidden, HubError, invalidField, newId, notFound, nowIso, parseJsonObject } from '../util';
import { body, qInt, qIntSchema, clean, cleanOpt, HTTP_URL_RE, idParam, optStr, secured, str, strList } from './schemas';

/** Registration fields kept as metadata (the SDK's optional ones). */
const OPTIONAL_FIELDS = [
  'model_family_id', 'release_date', 'training_cutoff', 'architecture', 'context_window', 'model_size_params', 'model_card_url',
  'capabilities', 'input_types', 'output_types', 'serving_regions', 'huggingface_model_id', 'enable_health_monitoring',
  'github_repo_url', 'huggingface_url', 'paper_url', 'tls_version',
] as const;

/** Python's requests sends booleans as "True"/"False". */
const qBool = { type: 'string', enum: ['true', 'false', 'True', 'False', '1', '0'] };
const truthy = (v: string | undefined): boolean => v === undefined || v === 'true' || v === 'True' || v === '1';

export function feedbackUrl(hub: HubContext, id: string): string {
  return `${hub.publicUrl()}/models/${id}`;
}

export function modelView(hub: HubContext, m: ModelsTable, owner: boolean, providerName?: string): Record<string, unknown> {
  const meta = parseJsonObject(m.metadata);
  return {
    model_id: m.id,
    id: m.id,
    provider_id: m.provider_id,
    ...(providerName !== undefined ? { provider_name: providerName } : {}),
    display_name: m.display_name,
    name: m.display_name,
    api_model_identifier: m.api_model_identifier,
    version: m.version,
    version_number: num(m.version_number),
    description: m.description,
    endpoint: m.endpoint,
    model_type: m.model_type,
    family_name: m.family_name,
    is_public: Boolean(m.is_public),
    is_archived: Boolean(m.is_archived),
    ...(owner ? { archive_reason: m.archive_reason, archived_at: m.archived_at } : {}),
    ...meta,
    feedback_url: feedbackUrl(hub, m.id),
    created_at: m.created_at,
    updated_at: m.updated_at,
  };
}

export async function findModel(db: HubDb, id: string): Promise<ModelsTable | undefined> {
  return db.selectFrom('models').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The model if the caller may see it (owner, or public and not archived); a 404 otherwise, so private ids don't leak. */
async function visibleModel(hub: HubContext, req: FastifyRequest, id: string): Promise<{ m: ModelsTable; owner: boolean }> {
  const m = await findModel(hub.db, id);
  const owner = Boolean(m && req.caller && req.caller.providerId === m.provider_id);
  if (!m || (!owner && !m.is_public)) throw notFound('Model not found');
  return { m, owner };
}

/** The model, which the caller must own; `scope` is required of the key. */
async function ownedModel(hub: HubContext, req: FastifyRequest, id: string, scope: 'models:write' | null): Promise<ModelsTable> {
  const c = requireScope(req, scope);
  const m = await findModel(hub.db, id);
  if (!m) throw notFound('Model not found');
  if (m.provider_id !== c.providerId) throw forbidden('This model belongs to another provider');
  return m;
}

const versionsOf = (hub: HubContext, m: ModelsTable) =>
  hub.db.selectFrom('models').selectAll().where('provider_id', '=', m.provider_id).where('api_model_identifier', '=', m.api_model_identifier).orderBy('version_number').execute();

export function registerModelRoutes(app: FastifyInstance, hub: HubContext): void {
  app.post('/api/v1/models/register', {
    schema: {
      tags: ['models'], summary: 'Register a model, or a new version of one (force_new_version)', security: secured,
      body: body({
        display_name: str(200, 1), api_model_identifier: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$' },
        endpoint: str(2048, 1), version: str(64, 1), description: str(5000), model_type: str(64, 1),
        family_name: optStr(200), model_family_id: optStr(100), is_public: { type: 'boolean', default: true }, force_new_version: { type: 'boolean', default: false },
        release_date: optStr(40), training_cutoff: optStr(40), architecture: optStr(200), context_window: { type: ['integer', 'null'], minimum: 0 },
        model_size_params: optStr(64), model_card_url: optStr(2048), capabilities: strList(), input_types: strList(), output_types: strList(),
        serving_regions: strList(), huggingface_model_id: optStr(200), enable_health_monitoring: { type: 'boolean', default: false },
        github_repo_url: optStr(2048), huggingface_url: optStr(2048), paper_url: optStr(2048), tls_version: optStr(20),
      }, ['display_name', 'api_model_identifier', 'endpoint', 'version', 'description', 'model_type']),
    },
  }, async (req, reply) => {
    const c = requireScope(req, 'models:write');
    const b = req.body as Record<string, unknown>;
    const endpoint = clean(b.endpoint as string);
    if (!HTTP_URL_RE.test(endpoint)) throw invalidField(['body', 'endpoint'], 'endpoint must be an http(s) URL');
    for (const k of ['model_card_url', 'github_repo_url', 'huggingface_url', 'paper_url'] as const) {
      const v = cleanOpt(b[k] as string | null | undefined);
      if (v !== null && !HTTP_URL_RE.test(v)) throw invalidField(['body', k], `${k} must be an http(s) URL`);
    }
    const displayName = clean(b.display_name as string);
    const version = clean(b.version as string);
    if (!displayName) throw invalidField(['body', 'display_name'], 'display_name must not be empty');
    if (!version) throw invalidField(['body', 'version'], 'version must not be empty');
    const identifier = b.api_model_identifier as string;
    const meta: Record<string, unknown> = {};
    for (const k of OPTIONAL_FIELDS) if (b[k] !== undefined && b[k] !== null) meta[k] = typeof b[k] === 'string' ? clean(b[k]) : b[k];
    const result = await hub.db.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('models').selectAll().where('provider_id', '=', c.providerId).where('api_model_identifier', '=', identifier).orderBy('version_number', 'desc').execute();
      const latest = existing[0];
      if (latest && !b.force_new_version) {
        throw new HubError(409, 'exists', {
          message: `A model with api_model_identifier '${identifier}' already exists (version ${latest.version}). The identifier is immutable: pass force_new_version=true to register a new version.`,
          existing_model: modelView(hub, latest, true),
        });
      }
      const same = existing.find((m) => m.version === version);
      if (same) {
        throw new HubError(409, 'version exists', {
          message: `Version '${version}' of '${identifier}' is already registered; versions are immutable, choose a new version string.`,
          existing_model: modelView(hub, same, true),
        });
      }
      const now = nowIso();
      const row: ModelsTable = {
        id: newId('model'), provider_id: c.providerId, api_model_identifier: identifier, version, version_number: latest ? num(latest.version_number) + 1 : 1,
        display_name: displayName, description: clean(b.description as string), endpoint, model_type: clean(b.model_type as string),
        family_name: cleanOpt(b.family_name as string | null | undefined), is_public: b.is_public === false ? 0 : 1, is_archived: 0, archive_reason: null, archived_at: null,
        metadata: JSON.stringify(meta), created_at: now, updated_at: now,
      };
      await trx.insertInto('models').values(row).execute();
      return row;
    });
    const n = num(result.version_number);
    return reply.code(201).send({
      ...modelView(hub, result, true),
      message: n === 1 ? 'Model registered' : `Version ${result.version} registered as version ${n} of '${identifier}'`,
    });
  });

  app.get('/api/v1/models/:model_id', {
    schema: { tags: ['models'], summary: 'A model (all fields for its owner, the public view otherwise)', params: idParam('model_id') },
  }, async (req) => {
    const { model_id } = req.params as { model_id: string };
    const { m, owner } = await visibleModel(hub, req, model_id);
    return modelView(hub, m, owner);
  });

  app.post('/api/v1/models/:model_id/sync-huggingface', {
    schema: { tags: ['models'], summary: 'Not available: a self-hosted hub never contacts Hugging Face', security: secured, params: idParam('model_id') },
  }, async (req, reply) => {
    const { model_id } = req.params as { model_id: string };
    await ownedModel(hub, req, model_id, 'models:write');
    return reply.code(501).send({ detail: 'Sync from Hugging Face is not available on a self-hosted Hallmark hub: it makes no outbound calls to third-party services. Register the metadata with register_model instead.' });
  });

  app.get('/api/v1/models/:model_id/health', {
    schema: { tags: ['models'], summary: 'Health monitoring status', params: idParam('model_id') },
  }, async (req) => {
    const { model_id } = req.params as { model_id: string };
    const { m } = await visibleModel(hub, req, model_id);
    const meta = parseJsonObject(m.metadata);
    return {
      model_id: m.id, status: 'unknown', health_monitoring_enabled: meta.enable_health_monitoring === true, last_checked_at: null, uptime_percentage: null,
      message: 'This hub does not probe model endpoints; health is reported as unknown.',
    };
  });

  app.post('/api/v1/models/validate-ownership', {
    schema: { tags: ['models'], summary: 'Whether the caller owns a model', security: secured, querystring: { type: 'object', properties: { model_id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,100}$' } }, required: ['model_id'] } },
  }, async (req) => {
    const { model_id } = req.query as { model_id: string };
    const m = await ownedModel(hub, req, model_id, null);
    const p = await hub.db.selectFrom('providers').select('company_name').where('id', '=', m.provider_id).executeTakeFirstOrThrow();
    return { valid: true, model_id: m.id, model_name: m.display_name, provider_id: m.provider_id, provider_name: p.company_name };
  });

  const setArchived = async (req: FastifyRequest, archived: boolean): Promise<Record<string, unknown>> => {
    const { model_id } = req.params as { model_id: string };
    const m = await ownedModel(hub, req, model_id, 'models:write');
    const reason = archived ? cleanOpt((req.body as { reason?: string | null } | undefined)?.reason) : null;
    const now = nowIso();
    // Archiving a model archives all its versions (the SDK's documented behaviour).
    const r = await hub.db.updateTable('models').set({ is_archived: archived ? 1 : 0, archive_reason: reason, archived_at: archived ? now : null, updated_at: now })
      .where('provider_id', '=', m.provider_id).where('api_model_identifier', '=', m.api_model_identifier).executeTakeFirst();
    return { model_id: m.id, is_archived: archived, archive_reason: reason, versions_affected: Number(r.numUpdatedRows), message: archived ? 'Model archived' : 'Model unarchived' };
  };
  app.put('/api/v1/models/:model_id/archive', {
    schema: { tags: ['models'], summary: 'Archive a model and all its versions', security: secured, params: idParam('model_id'), body: { ...body({ reason: optStr(1000) }), type: ['object', 'null'] } },
  }, (req) => setArchived(req, true));
  app.put('/api/v1/models/:model_id/unarchive', {
    schema: { tags: ['models'], summary: 'Unarchive a model and all its versions', security: secured, params: idParam('model_id') },
  }, (req) => setArchived(req, false));

  app.put('/api/v1/models/:model_id/visibility', {
    schema: { tags: ['models'], summary: 'Make a model version public or private', security: secured, params: idParam('model_id'), body: body({ is_public: { type: 'boolean' } }, ['is_public']) },
  }, async (req) => {
    const { model_id } = req.params as { model_id: string };
    const m = await ownedModel(hub, req, model_id, 'models:write');
    const isPublic = (req.body as { is_public: boolean }).is_public;
    await hub.db.updateTable('models').set({ is_public: isPublic ? 1 : 0, updated_at: nowIso() }).where('id', '=', m.id).execute();
    return { model_id: m.id, is_public: isPublic, message: `Model is now ${isPublic ? 'public' : 'private'}` };
  });

  app.get('/api/v1/models/:model_id/history', {
    schema: { tags: ['models'], summary: 'All versions of a model, given any version\'s id', params: idParam('model_id') },
  }, async (req) => {
    const { model_id } = req.params as { model_id: string };
    const { m, owner } = await visibleModel(hub, req, model_id);
    const all = (await versionsOf(hub, m)).filter((v) => owner || v.is_public);
    return { model_id: m.id, api_model_identifier: m.api_model_identifier, total_versions: all.length, versions: all.map((v) => modelView(hub, v, owner)) };
  });

  app.get('/api/v1/models/:model_id/latest', {
    schema: { tags: ['models'], summary: 'The latest version of a model, given any version\'s id', params: idParam('model_id') },
  }, async (req) => {
    const { model_id } = req.params as { model_id: string };
    const { m, owner } = await visibleModel(hub, req, model_id);
    const all = (await versionsOf(hub, m)).filter((v) => owner || v.is_public);
    const latest = all[all.length - 1] ?? m;
    return { ...modelView(hub, latest, owner), is_latest: true, requested_model_id: m.id };
  });

  app.get('/api/v1/models/:model_id/community-stats', {
    schema: { tags: ['models'], summary: 'Community statistics: verifications and incidents', params: idParam('model_id') },
  }, async (req) => {
    const { model_id } = req.params as { model_id: string };
    const { m } = await visibleModel(hub, req, model_id);
    const [ver, inc, prov] = await Promise.all([
      hub.db.selectFrom('verifications').select((eb) => eb.fn.countAll().as('n')).where('model_id', '=', m.id).executeTakeFirstOrThrow(),
      hub.db.selectFrom('incidents').select(['status', 'category', 'severity', 'verified']).where('model_id', '=', m.id).execute(),
      hub.db.selectFrom('providers').select('trust_level').where('id', '=', m.provider_id).executeTakeFirstOrThrow(),
    ]);
    const count = (key: 'category' | 'severity' | 'status'): Record<string, number> => {
      const o: Record<string, number> = {};
      for (const i of inc) o[i[key]] = (o[i[key]] ?? 0) + 1;
      return o;
    };
    return {
      model_id: m.id,
      total_verifications: num(ver.n),
      total_incidents: inc.length,
      unresolved_incidents: inc.filter((i) => i.status !== 'resolved' && i.status !== 'dismissed').length,
      verified_incidents: inc.filter((i) => i.verified).length,
      incidents_by_category: count('category'),
      incidents_by_severity: count('severity'),
      incidents_by_status: count('status'),
      provider_trust_level: prov.trust_level,
    };
  });

  app.get('/api/v1/models/public', {
    schema: {
      tags: ['public'], summary: 'Public models',
      querystring: { type: 'object', properties: { skip: qIntSchema(0, 1e9), limit: qIntSchema(1, 1000), provider_id: { type: 'string', maxLength: 100 } } },
    },
  }, async (req) => {
    const rq = req.query as { skip?: string; limit?: string; provider_id?: string };
    const q = { ...rq, skip: qInt(rq.skip, 0, 0, 1e9, 'skip'), limit: qInt(rq.limit, 100, 1, 1000, 'limit') };
    let query = hub.db.selectFrom('models').innerJoin('providers', 'providers.id', 'models.provider_id').selectAll('models').select('providers.company_name')
      .where('models.is_public', '=', 1).where('models.is_archived', '=', 0);
    if (q.provider_id) query = query.where('models.provider_id', '=', q.provider_id);
    const rows = await query.orderBy('models.created_at').orderBy('models.id').offset(q.skip).limit(q.limit).execute();
    return { models: rows.map((r) => modelView(hub, r, false, r.company_name)), skip: q.skip, limit: q.limit };
  });

  app.get('/api/v1/models/:model_id/public', {
    schema: { tags: ['public'], summary: 'A public model', params: idParam('model_id') },
  }, async (req) => {
    const { model_id } = req.params as { model_id: string };
    const m = await findModel(hub.db, model_id);
    if (!m || !m.is_public) throw notFound('Model not found');
    const p = await hub.db.selectFrom('providers').select('company_name').where('id', '=', m.provider_id).executeTakeFirstOrThrow();
    return modelView(hub, m, false, p.company_name);
  });

  app.get('/api/v1/search', {
    schema: {
      tags: ['public'], summary: 'Search public providers and models',
      querystring: {
        type: 'object', required: ['q'],
        properties: { q: str(200, 1), limit: qIntSchema(1, 100), include_providers: qBool, include_models: qBool },
      },
    },
  }, async (req) => {
    const raw = req.query as { q: string; limit?: string; include_providers?: string; include_models?: string };
    const q = { ...raw, limit: qInt(raw.limit, 20, 1, 100, 'limit'), include_providers: truthy(raw.include_providers), include_models: truthy(raw.include_models) };
    // The query is a LIKE pattern only through escaping: % and _ match themselves.
    const pattern = `%${q.q.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    const like = (col: string) => sql<boolean>`lower(${sql.ref(col)}) LIKE ${pattern} ESCAPE '\\'`;
    const providers = q.include_providers
      ? await hub.db.selectFrom('providers').selectAll().where((eb) => eb.or([like('company_name'), like('website')])).orderBy('company_name').limit(q.limit).execute()
      : [];
    const models = q.include_models
      ? await hub.db.selectFrom('models').innerJoin('providers', 'providers.id', 'models.provider_id').selectAll('models').select('providers.company_name')
        .where('models.is_public', '=', 1).where('models.is_archived', '=', 0)
        .where((eb) => eb.or([like('models.display_name'), like('models.api_model_identifier'), like('models.description')]))
        .orderBy('models.display_name').limit(q.limit).execute()
      : [];
    return {
      query: q.q,
      providers: providers.map((p) => ({ provider_id: p.id, company_name: p.company_name, website: p.website, trust_level: p.trust_level })),
      models: models.map((m) => modelView(hub, m, false, m.company_name)),
      total: providers.length + models.length,
    };
  });
}
