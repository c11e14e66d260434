/**
 * The generated OpenAPI document marks every request body as required. A body whose schema admits null
 * (starting a run of a pipeline without inputs, say) may be left out entirely, and the server accepts
 * that: the document says so, so that clients and fuzzers read the contract the server keeps.
 */
import type { SwaggerTransformObject } from '@fastify/swagger';
import type { OpenAPIV3_1 } from 'openapi-types';

/** @fastify/swagger's `transformObject`: edits the OpenAPI 3 document in place. */
export const optionalNullableBodies: SwaggerTransformObject = (documentObject) => {
  if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
  const paths = (documentObject.openapiObject.paths ?? {}) as Record<string, Record<string, { requestBody?: OpenAPIV3_1.RequestBodyObject }>>;
  for (const item of Object.values(paths)) {
    for (const operation of Object.values(item ?? {})) {
      const body = operation?.requestBody;
      if (body?.content && Object.values(body.content).every((media) => admitsNull(media.schema))) body.required = false;
    }
  }
  return documentObject.openapiObject;
};

function admitsNull(schema: unknown): boolean {
  const s = schema as { type?: unknown; anyOf?: unknown[]; oneOf?: unknown[] } | undefined;
  if (!s) return false;
  if (s.type === 'null' || (Array.isArray(s.type) && s.type.includes('null'))) return true;
  return [...(s.anyOf ?? []), ...(s.oneOf ?? [])].some(admitsNull);
}
