/**
 * operationIds for the OpenAPI document. Generated clients name their methods after them, so every
 * operation gets one: the route's own when it sets one, else one made from method and path
 * (GET /api/v1/runs/:id/events -> getRunsByIdEvents), stable as long as the route is.
 */
type SwaggerTransform<I, O> = (input: I) => O;

export function operationIdFor(method: string, url: string): string {
  const words = url
    .replace(/^\/api\/v1/, '')
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith(':') ? `By${capital(segment.slice(1))}` : segment.split(/[^A-Za-z0-9]+/).map(capital).join('')));
  return method.toLowerCase() + words.join('');
}

/** Wraps @fastify/swagger's per-route `transform` so that each visible route gets an operationId. */
export function withOperationIds<I extends { url: string; route: { method: string | string[] } }, O extends { schema?: unknown }>(
  transform: SwaggerTransform<I, O>,
): SwaggerTransform<I, O> {
  return (input) => {
    const output = transform(input);
    const schema = output.schema as { operationId?: string; hide?: boolean } | undefined;
    if (schema && !schema.hide && !schema.operationId) {
      const method = Array.isArray(input.route.method) ? input.route.method[0] : input.route.method;
      schema.operationId = operationIdFor(method, input.url);
    }
    return output;
  };
}

function capital(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
