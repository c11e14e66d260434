/**
 * Every route can answer some errors whatever it does: a malformed request (400), a missing key (401,
 * except on public routes), the keys-off Host and cross-site guards (403), an unknown id (404), a stalled
 * or oversized body (408, 413), an unsupported content type (415), an unexpected failure (500) or an
 * unreachable Temporal server or store (503). Declaring them once here, on every route as it is added,
 * keeps the OpenAPI document true to what the server does without repeating them in every route file.
 * A route's own declaration of a status wins.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ErrorBody } from '../error-body.ts';

const ALWAYS = [400, 403, 404, 500, 503];
const WITH_BODY = [408, 413, 415];

export function documentCommonErrors(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = (route.schema ??= {}) as { security?: unknown[]; response?: Record<string | number, unknown>; hide?: boolean };
    if (schema.hide) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hasBody = methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH');
    const isPublic = Array.isArray(schema.security) && schema.security.length === 0;
    const statuses = [...ALWAYS, ...(isPublic ? [] : [401]), ...(hasBody ? WITH_BODY : [])];
    const response = (schema.response ??= {});
    for (const status of statuses) {
      if (!(status in response) && !(String(status) in response)) response[status] = ErrorBody.describe(errorDescription(status));
    }
  });
}

function errorDescription(status: number): string {
  switch (status) {
    case 400: return 'The request is malformed or does not match this operation\'s schema (coded error).';
    case 401: return 'No valid API key (UNAUTHORIZED).';
    case 403: return 'Keys off: a non-loopback Host (HOST_NOT_ALLOWED) or a request from another web site (CROSS_SITE_REFUSED).';
    case 404: return 'The resource does not exist (coded error).';
    case 408: return 'The request body stalled (REQUEST_TIMEOUT).';
    case 413: return 'The body is larger than the limit (coded error).';
    case 415: return 'The content type is not accepted here (UNSUPPORTED_MEDIA).';
    case 500: return 'An unexpected error (INTERNAL); the server log has the details.';
    default: return 'Temporal or the store cannot be reached (coded error).';
  }
}
