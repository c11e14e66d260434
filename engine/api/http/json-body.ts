/**
 * The JSON body parser of every route: Fastify's own (prototype-poisoning keys refused), behind a nesting
 * bound. JSON nested thousands of levels deep parses, but overflows the stack later wherever it is walked
 * recursively (JSON.stringify in the store, schema validation), so it is refused at the edge with a coded
 * 400 instead.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from '../errors.ts';

/** Far deeper than any pipeline, JSON Schema or input needs, far shallower than the stack allows. */
export const MAX_JSON_DEPTH = 128;

/** The deepest nesting of arrays and objects in a JSON text (strings skipped), without recursion. */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) max = Math.max(max, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** For JSON that arrives inside other requests (multipart form fields): bounded like JSON bodies. */
export function assertJsonDepth(text: string, where: string): void {
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw apiError('JSON_TOO_DEEP', `${where} is nested more than ${MAX_JSON_DEPTH} levels deep.`, { limit: MAX_JSON_DEPTH });
  }
}

type Done = (err: Error | null, body?: unknown) => void;

/** A content-type parser (parseAs string or buffer) for `instance`: the depth check, then Fastify's parser. */
export function boundedJsonParser(instance: FastifyInstance): (request: FastifyRequest, body: string | Buffer, done: Done) => void {
  const parse = instance.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDepth(text) > MAX_JSON_DEPTH) {
      return done(apiError('JSON_TOO_DEEP', `The JSON body is nested more than ${MAX_JSON_DEPTH} levels deep.`, { limit: MAX_JSON_DEPTH }));
    }
    parse(request, text, done);
  };
}

/** Replaces the app's JSON parser with the bounded one and drops text/plain (a simple-form content type). */
export function installJsonBody(app: FastifyInstance): void {
  const parser = boundedJsonParser(app);
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parser);
}
