/**
 * POST /hooks/:token, the public end of a webhook. Registered in a plugin scope of its own so that its JSON
 * parser can keep the raw bytes (the signature is over them, not over a re-serialisation) without touching
 * any other route. Order of checks: token (404), signature header present (401, before the body is read),
 * body read and hashed, signature (401), inputs (400), run started (202). Nothing starts a run unless every
 * check passed.
 */
import { finished } from 'node:stream/promises';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pipelineInputs } from '../../run/inputs.ts';
import type { WebhookRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { loadVersion, startPipelineRun } from '../runs/run-service.ts';
import { formInputs } from '../runs/run-form-inputs.ts';
import { readRunForm } from '../runs/run-form.ts';
import { inputsFromJson } from './inputs.ts';
import { bodyHmac, claimedDigest, digestMatches, SIGNATURE_HEADER } from './signature.ts';

/** Per-request state, kept off the request object's type. */
const webhooks = new WeakMap<FastifyRequest, WebhookRecord>();
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

export function hookRoute(scope: FastifyInstance, deps: ApiDeps): void {
  const defaultJson = scope.getDefaultJsonParser('error', 'error');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    rawBodies.set(request, body as Buffer);
    if ((body as Buffer).length === 0) return done(null, undefined); // an empty body means "no inputs"
    defaultJson(request, (body as Buffer).toString('utf8'), done);
  });
  // JSON or multipart only: anything else is 415 rather than a string the pipeline cannot use.
  scope.removeContentTypeParser('text/plain');

  scope.withTypeProvider<ZodTypeProvider>().post(
    '/hooks/:token',
    {
      schema: {
        tags: ['webhooks'],
        summary: 'Call a webhook: a JSON body (input values by name, or { inputs }) or a multipart form (files and fields) starts a run.',
        security: [],
        params: z.object({ token: z.string().min(1) }),
        response: { 202: z.object({ runId: z.string() }) },
      },
      onRequest: async (request) => {
        const { token } = request.params as { token: string };
        const webhook = await deps.store.findWebhookByToken(token);
        if (!webhook) throw apiError('WEBHOOK_NOT_FOUND', 'No active webhook has this URL (unknown or revoked).');
        // Refused before a byte of the body is read.
        if (webhook.secret && !claimedDigest(request.headers[SIGNATURE_HEADER])) throw signatureInvalid();
        webhooks.set(request, webhook);
      },
    },
    async (request, reply) => {
      const webhook = webhooks.get(request)!;
      const { valid } = await loadVersion(deps, webhook.pipelineId, webhook.pipelineVersion);
      const specs = pipelineInputs(valid);

      let inputs: Record<string, unknown>;
      if (request.isMultipart()) {
        // busboy reads the raw request itself: hash what it reads, chunk by chunk, as it streams.
        const hmac = webhook.secret ? bodyHmac(webhook.secret) : undefined;
        if (hmac) {
          request.raw.on('data', (chunk: Buffer) => hmac.update(chunk));
          request.raw.pause(); // nothing flows until busboy pipes (and so resumes) the request
        }
        // The same form as POST /runs: files streamed into the blob store, fields by input name.
        const form = await readRunForm(request, deps);
        if (hmac) {
          // busboy may stop at the closing boundary; the signature covers every byte up to the end.
          if (!request.raw.readableEnded) {
            request.raw.resume();
            await finished(request.raw);
          }
          if (!digestMatches(claimedDigest(request.headers[SIGNATURE_HEADER]), hmac.digest())) throw signatureInvalid();
        }
        inputs = await formInputs(form, specs, deps.blobs);
      } else {
        if (webhook.secret) {
          const raw = rawBodies.get(request) ?? Buffer.alloc(0);
          const digest = bodyHmac(webhook.secret).update(raw).digest();
          if (!digestMatches(claimedDigest(request.headers[SIGNATURE_HEADER]), digest)) throw signatureInvalid();
        }
        inputs = inputsFromJson(request.body, specs);
      }

      const run = await startPipelineRun(deps, {
        pipelineId: webhook.pipelineId,
        version: webhook.pipelineVersion,
        inputs,
        trigger: { type: 'webhook', id: webhook.id },
      });
      deps.tracker?.follow(run.id);
      return reply.status(202).send({ runId: run.id });
    },
  );
}

function signatureInvalid() {
  return apiError('SIGNATURE_INVALID', `This webhook is signed: send ${SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256 of the raw body under the webhook's secret>.`);
}
