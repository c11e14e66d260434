/**
 * Every error answer has one shape: `{ "error": { "code", "message", "details" } }`, with the HTTP status
 * taken from the error-code catalogue. Nothing reaches the client as a bare 500 with a stack.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERROR_CODES, TesseraError, type CodedError, type ErrorCode } from '../errors.ts';

export class ApiError extends TesseraError {}

export function apiError(code: ErrorCode, message: string, details?: unknown): ApiError {
  return new ApiError(code, message, { details });
}

/** 400 with the coded errors of a validation (pipeline or run inputs). */
export function validationFailed(errors: CodedError[]): ApiError {
  return new ApiError(errors[0]?.code ?? 'REQUEST_INVALID', errors.map((e) => e.message).join(' '), { details: { errors } });
}

/** `allowedMethods(url)`: the methods the path has under other routes, for 405 instead of 404. */
export function installErrorHandling(app: FastifyInstance, allowedMethods: (url: string) => string[] = () => []): void {
  const notFound = (request: FastifyRequest): ApiError => {
    const path = request.url.split('?')[0];
    const allowed = allowedMethods(request.url);
    if (allowed.length === 0) return apiError('NOT_FOUND', `No endpoint ${request.method} ${path}.`);
    return apiError('METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}.`, { allow: allowed });
  };
  app.setNotFoundHandler(async (request) => {
    throw notFound(request);
  });
  // Answer an unrouted request before its body is parsed (else a bodyless QUERY or a wrong content type
  // reads as a 400 about the body). Added after the auth hook, so anonymous callers learn nothing.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const error = notFound(request);
    const allow = (error.details as { allow?: string[] } | undefined)?.allow;
    if (allow) void reply.header('allow', allow.join(', '));
    throw error;
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof TesseraError) {
      const status = ERROR_CODES[error.code]?.status ?? 400;
      return reply.status(status).send(body(error.code, error.message, error.details ?? (error.nodeId ? { nodeId: error.nodeId } : undefined)));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({ path: v.instancePath || '/', message: v.message }));
      const where = error.validationContext ?? 'request';
      return reply.status(400).send(body('REQUEST_INVALID', `Invalid ${where}: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, { issues }));
    }
    const status = error.statusCode ?? 500;
    if (status === 413 || error.code === 'FST_REQ_FILE_TOO_LARGE' || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.status(413).send(body('PAYLOAD_TOO_LARGE', 'The request body is larger than the configured limit.'));
    }
    if (status === 415 || error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return reply.status(415).send(body('UNSUPPORTED_MEDIA', `Unsupported content type "${request.headers['content-type'] ?? ''}".`));
    }
    if (status >= 400 && status < 500) {
      // Fastify's own client errors: malformed JSON, empty bodies, bad multipart.
      return reply.status(400).send(body('REQUEST_INVALID', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(body('INTERNAL', 'An unexpected error occurred; the server log has the details.'));
  });
}

/**
 * Errors Fastify raises before routing (a bad %-escape in the URL, a path parameter over maxParamLength)
 * never reach the error handler; they get the same coded shape here.
 */
export function onFrameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long.'
    : error.code === 'FST_ERR_BAD_URL' ? 'The URL is not valid (malformed %-escape).'
    : 'The request could not be routed.';
  void reply.status(400).send(body('REQUEST_INVALID', message));
}

function body(code: ErrorCode, message: string, details?: unknown) {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) } };
}
