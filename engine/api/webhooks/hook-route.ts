/**
 * POST /hooks/:token, the public end of a webhook. Registered in a plugin scope of its own so that its JSON
 * parser can keep the raw bytes (the signature is over them, not over a re-serialisation) without touching
 * any other route. Order of checks: token (404); for a signed webhook, signature and timestamp headers
 * present and the timestamp fresh (401, before the body is read); body read and hashed; signature (401);
 * not a replay (401); inputs (400); run started (202). Nothing starts a run unless every check passed, and
 * nothing is stored for a refused call: a signed multipart body is spooled and verified before any file
 * reaches the blob store, file names are checked against the pipeline's inputs before each file is stored,
 * and the uploads of a call refused later are rolled back (undo-log.ts).
 */
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BlobUndo } from '../../blob/undo-log.ts';
import { pipelineInputs, type InputSpec } from '../../run/inputs.ts';
import type { WebhookRecord } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { boundedJsonParser } from '../http/json-body.ts';
import { loadVersion, startPipelineRun } from '../runs/run-service.ts';
import { assertFileInput, formInputs } from '../runs/run-form-inputs.ts';
import { readRunForm, type FormPart } from '../runs/run-form.ts';
import { formParts } from './form-parts.ts';
import { inputsFromJson } from './inputs.ts';
import { ReplayGuard } from './replay-guard.ts';
import { claimedSignature, signedHmac, SIGNATURE_HEADER, TIMESTAMP_HEADER, verify, type ClaimedSignature } from './signature.ts';
import { ErrorBody } from '../error-body.ts';
import { spoolBody } from './spool.ts';
import { FORM_LIMITS } from '../http/form-limits.ts';

/** Room for a signed form's fields and boundaries beyond the upload limit: the whole body is spooled. */
const FORM_OVERHEAD_BYTES = 1024 * 1024;

interface HookCall {
  webhook: WebhookRecord;
  /** Present when the webhook is signed: what the headers claim, checked for freshness already. */
  claimed?: ClaimedSignature;
}

/** Per-request state, kept off the request object's type. */
const calls = new WeakMap<FastifyRequest, HookCall>();
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function hookRoute(scope: FastifyInstance, deps: ApiDeps): void {
  const replays = new ReplayGuard(); // per API process: see replay-guard.ts
  const spoolLimit = deps.maxUploadBytes + FORM_OVERHEAD_BYTES;
  const defaultJson = boundedJsonParser(scope); // Fastify's parser behind the nesting bound
  scope.removeContentTypeParser('application/json'); // the app's parser, replaced in this scope only
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
        // Documented for signed webhooks; checked (with their own coded errors) by the handler, not here.
        headers: z.object({
          [TIMESTAMP_HEADER]: z.string().optional().describe('Signed webhooks: the Unix time of the call in seconds (within 5 minutes).'),
          [SIGNATURE_HEADER]: z.string().optional().describe('Signed webhooks: "sha256=" + hex HMAC-SHA256 of "<timestamp>.<raw body>" under the webhook\'s secret.'),
        }),
        response: {
          202: z.object({ runId: z.string() }),
          401: ErrorBody.describe('A signed webhook called without a valid, fresh, unreplayed signature (SIGNATURE_*).'),
          429: ErrorBody.describe('Too many signed calls within the replay window (WEBHOOK_RATE_LIMITED).'),
        },
      },
      onRequest: async (request) => {
        const { token } = request.params as { token: string };
        const webhook = await deps.store.findWebhookByToken(token);
        if (!webhook) throw apiError('WEBHOOK_NOT_FOUND', 'No active webhook has this URL (unknown or revoked).');
        // Refused before a byte of the body is read: missing or malformed headers, a stale timestamp.
        const claimed = webhook.secret ? claimedSignature(request.headers, nowSeconds()) : undefined;
        calls.set(request, { webhook, claimed });
      },
    },
    async (request, reply) => {
      const { webhook, claimed } = calls.get(request)!;
      const { valid } = await loadVersion(deps, webhook.pipelineId, webhook.pipelineVersion);
      const specs = pipelineInputs(valid);
      const uploads = deps.blobs.undoLog();
      try {
        const inputs = request.isMultipart()
          ? await multipartInputs(request, reply, { webhook, claimed, specs, uploads })
          : jsonInputs(request, { webhook, claimed, specs });
        const run = await startPipelineRun(deps, {
          pipelineId: webhook.pipelineId,
          version: webhook.pipelineVersion,
          inputs,
          trigger: { type: 'webhook', id: webhook.id },
          uploads,
        });
        deps.tracker?.follow(run.id);
        return reply.status(202).send({ runId: run.id });
      } catch (err) {
        uploads.rollback(); // a no-op once the run started
        throw err;
      }
    },
  );

  /** A verified signature is remembered, so that the same call cannot be played again. */
  function accept(call: HookCall & { claimed: ClaimedSignature }, actual: Buffer): void {
    verify(call.claimed, actual);
    replays.remember(call.webhook.id, call.claimed.digest, call.claimed.timestamp, nowSeconds());
  }

  function jsonInputs(request: FastifyRequest, call: HookCall & { specs: InputSpec[] }): Record<string, unknown> {
    const { webhook, claimed } = call;
    if (webhook.secret && claimed) {
      const raw = rawBodies.get(request) ?? Buffer.alloc(0);
      accept({ webhook, claimed }, signedHmac(webhook.secret, claimed.timestamp).update(raw).digest());
    }
    return inputsFromJson(request.body, call.specs);
  }

  async function multipartInputs(
    request: FastifyRequest,
    reply: FastifyReply,
    call: HookCall & { specs: InputSpec[]; uploads: BlobUndo },
  ): Promise<Record<string, unknown>> {
    const { webhook, claimed, specs, uploads } = call;
    const options = { undo: uploads, checkFile: (input: string) => assertFileInput(specs, input) };
    if (!webhook.secret || !claimed) {
      const form = await readRunForm(request.parts(), deps, options).catch((err: unknown) => {
        reply.header('connection', 'close'); // the client may still be sending files
        throw err;
      });
      return formInputs(form, specs, deps.blobs);
    }
    // Signed: verify every byte before any of it is stored. (The form is still unread here: a declared
    // length over the limit is refused at once, an undeclared one when the spool reaches it.)
    if (Number(request.headers['content-length']) > spoolLimit) {
      reply.header('connection', 'close');
      throw tooLarge(spoolLimit);
    }
    const hmac = signedHmac(webhook.secret, claimed.timestamp);
    const spooled = await spoolBody(request.raw, hmac, spoolLimit).catch((err: unknown) => {
      reply.header('connection', 'close');
      throw err;
    });
    try {
      accept({ webhook, claimed }, hmac.digest());
      const parts: AsyncIterable<FormPart> = formParts(createReadStream(spooled.file), request.headers, {
        fileSize: deps.maxUploadBytes,
        ...FORM_LIMITS, // as for unsigned forms
      });
      return await formInputs(await readRunForm(parts, deps, options), specs, deps.blobs);
    } finally {
      await spooled.dispose();
    }
  }
}

function tooLarge(limit: number) {
  return apiError('PAYLOAD_TOO_LARGE', `A signed multipart webhook body may be at most ${limit} bytes (the upload limit plus 1 MiB for fields).`, { limit });
}
