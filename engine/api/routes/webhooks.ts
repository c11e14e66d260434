/**
 * Webhooks: a secret URL that starts a run of a saved pipeline. Managing them needs an API key; calling
 * one (POST /hooks/:token) does not, the token in the URL is the credential, and a webhook created with
 * a secret also requires an HMAC signature of the body (webhooks/signature.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { WebhookRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { hookRoute } from '../webhooks/hook-route.ts';
import { generateSecret } from '../webhooks/signature.ts';

const Webhook = z.object({
  id: z.string(),
  pipelineId: z.string(),
  version: z.number().nullable().describe('Pinned pipeline version; null runs the latest version.'),
  createdAt: z.string(),
  signed: z.boolean().describe('Calls must carry X-Tessera-Timestamp and X-Tessera-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">.'),
  revokedAt: z.string().nullable(),
});

const CreateBody = z
  .strictObject({
    version: z.number().int().positive().optional().describe('Pin a pipeline version (default: the latest at each call).'),
    secret: z.string().min(16).max(256).optional().describe('HMAC secret the sender signs calls with (stored encrypted, never shown again).'),
    generateSecret: z.boolean().optional().describe('Let the server make the secret (returned once).'),
  })
  .refine((b) => !(b.secret && b.generateSecret), { message: 'Give "secret" or "generateSecret", not both.' });

const IdParams = z.object({ id: z.string().min(1) });

function view(w: WebhookRecord): z.infer<typeof Webhook> {
  return { id: w.id, pipelineId: w.pipelineId, version: w.pipelineVersion ?? null, createdAt: w.createdAt, signed: w.signed, revokedAt: w.revokedAt ?? null };
}

/** The configured public URL, else the address the caller used to reach this server. */
function baseUrl(deps: ApiDeps, request: FastifyRequest): string {
  return (deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
}

export function webhooksRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['webhooks'];

  api.post(
    '/pipelines/:id/webhooks',
    {
      schema: {
        tags,
        summary: 'Create a webhook URL that runs the pipeline; the token (and a generated secret) are shown only here.',
        params: IdParams,
        body: CreateBody.optional(),
        response: { 201: z.object({ webhook: Webhook, url: z.string(), token: z.string(), secret: z.string().optional() }) },
      },
    },
    async (request, reply) => {
      const body = request.body ?? {};
      const pipelineId = request.params.id;
      if (!(await deps.store.getPipeline(pipelineId))) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${pipelineId}".`, { pipelineId });
      if (body.version !== undefined && !(await deps.store.getVersion(pipelineId, body.version))) {
        throw apiError('VERSION_NOT_FOUND', `Pipeline "${pipelineId}" has no version ${body.version}.`, { pipelineId, version: body.version });
      }
      const secret = body.generateSecret ? generateSecret() : body.secret;
      const { webhook, token } = await deps.store.createWebhook({ pipelineId, pipelineVersion: body.version, secret });
      return reply.status(201).send({
        webhook: view(webhook),
        url: `${baseUrl(deps, request)}/api/v1/hooks/${token}`,
        token,
        ...(body.generateSecret ? { secret } : {}),
      });
    },
  );

  api.get(
    '/pipelines/:id/webhooks',
    { schema: { tags, summary: "The pipeline's webhooks (tokens and secrets are never shown again).", params: IdParams, response: { 200: z.object({ items: z.array(Webhook) }) } } },
    async (request) => {
      if (!(await deps.store.getPipeline(request.params.id))) throw apiError('PIPELINE_NOT_FOUND', `No pipeline "${request.params.id}".`, { pipelineId: request.params.id });
      return { items: (await deps.store.listWebhooks(request.params.id)).map(view) };
    },
  );

  api.delete(
    '/webhooks/:id',
    { schema: { tags, summary: 'Revoke a webhook: its URL answers 404 from now on.', params: IdParams, response: { 204: z.null() } } },
    async (request, reply) => {
      if (!(await deps.store.revokeWebhook(request.params.id))) throw apiError('WEBHOOK_NOT_FOUND', `No webhook "${request.params.id}".`, { webhookId: request.params.id });
      return reply.status(204).send(null);
    },
  );

  // The call itself lives in its own plugin scope: it parses JSON as raw bytes (for the signature).
  void app.register(async (scope) => hookRoute(scope, deps));
}
