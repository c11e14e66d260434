/**
 * HTTP-level behaviour outside any one route, each answer in the coded `{ error: { code, message } }` shape:
 *
 * - Errors Node's parser raises before a request exists (malformed request lines, Content-Length together
 *   with Transfer-Encoding, headers over the size limit, unknown methods) replace Fastify's own body.
 * - A path that exists under other methods answers 405 with `Allow`, not 404 (a router of the route
 *   patterns, fed by `onRoute`, knows which methods each path has).
 * - A body that stops arriving: a client that declares a large Content-Length and sends a few bytes would
 *   hold its connection for as long as it likes. While a request body is being received, the socket may
 *   be idle for at most `bodyIdleMs`; then the request is answered 408 and the connection closed. Once
 *   the body is in, long waits (`?wait=`, event streams) are not limited.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { ErrorCode } from '../../errors.ts';

export const DEFAULT_BODY_IDLE_MS = 30_000;

/** Writes a coded error straight onto a socket (no request object exists, or the request is abandoned). */
export function writeRawError(socket: Socket, status: number, code: ErrorCode, message: string): void {
  if (socket.destroyed) return;
  if (socket.writable) {
    const body = JSON.stringify({ error: { code, message } });
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/** Fastify's `clientErrorHandler`: the parser's errors, in the coded shape. */
export function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return writeRawError(socket, 408, 'REQUEST_TIMEOUT', 'The request did not arrive in time.');
    case 'HPE_HEADER_OVERFLOW':
      return writeRawError(socket, 431, 'HEADERS_TOO_LARGE', 'The request headers are larger than the server accepts.');
    case 'HPE_INVALID_METHOD':
      return writeRawError(socket, 405, 'METHOD_NOT_ALLOWED', 'This HTTP method is not supported.');
    default:
      return writeRawError(socket, 400, 'REQUEST_INVALID', 'The HTTP request is malformed.');
  }
}

/** Records every route's pattern and methods; `allowedMethods` answers which methods a concrete path has. */
export function trackRouteMethods(app: FastifyInstance): (url: string) => string[] {
  const router = FindMyWay({ ignoreTrailingSlash: false });
  const methodsOf = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    let set = methodsOf.get(route.url);
    if (!set) {
      methodsOf.set(route.url, (set = new Set()));
      router.on('GET', route.url, () => undefined, { pattern: route.url });
    }
    for (const method of methods) set.add(method);
  });
  return (url) => {
    const path = url.split('?')[0];
    const found = router.find('GET' as HTTPMethod, path);
    const pattern = (found?.store as { pattern?: string } | undefined)?.pattern;
    return pattern ? [...(methodsOf.get(pattern) ?? [])].sort() : [];
  };
}

/** Limits how long a request body may stall; see the file comment. */
export function installBodyIdleTimeout(app: FastifyInstance, idleMs: number): void {
  app.addHook('onRequest', async (request) => {
    if (!hasBody(request)) return;
    const socket = request.raw.socket;
    const onTimeout = () => writeRawError(socket, 408, 'REQUEST_TIMEOUT', `No part of the request body arrived for ${Math.round(idleMs / 1000)} s.`);
    const clear = () => {
      socket.setTimeout(0);
      request.raw.off('timeout', onTimeout);
    };
    // On the request, not the socket: Node then leaves the socket to this handler instead of destroying
    // it silently, so the client hears why.
    request.raw.setTimeout(idleMs);
    request.raw.once('timeout', onTimeout);
    request.raw.once('end', clear);
    request.raw.once('close', clear);
  });
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
