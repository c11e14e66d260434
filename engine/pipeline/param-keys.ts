/**
 * Unknown params keys. Node params schemas are zod objects, which drop keys they do not know: a misspelt
 * param ("seperator") passed validation and was silently ignored. Here the keys a schema accepts are read
 * from its shape, so validation can refuse the others. Schemas that accept any key (a catchall) or whose
 * keys cannot be read are not checked; strict objects report unknown keys themselves.
 */
import { z } from 'zod';

/** The keys the params schema knows, or undefined when any key is acceptable (or not knowable). */
export function knownParamKeys(schema: z.ZodType): Set<string> | undefined {
  if (schema instanceof z.ZodObject) {
    if (schema._zod.def.catchall !== undefined) return undefined;
    return new Set(Object.keys(schema.shape));
  }
  if (schema instanceof z.ZodUnion) {
    const keys = new Set<string>();
    for (const option of schema.options as z.ZodType[]) {
      const some = knownParamKeys(option);
      if (!some) return undefined;
      for (const key of some) keys.add(key);
    }
    return keys;
  }
  if (schema instanceof z.ZodPipe) return knownParamKeys(schema._zod.def.in as z.ZodType);
  const inner = (schema._zod.def as { innerType?: z.ZodType }).innerType; // default, optional, nullable, catch, ...
  return inner ? knownParamKeys(inner) : undefined;
}

/** Keys of `params` the schema does not know. */
export function unknownParamKeys(schema: z.ZodType, params: unknown): string[] {
  const known = knownParamKeys(schema);
  if (!known || typeof params !== 'object' || params === null || Array.isArray(params)) return [];
  return Object.keys(params).filter((key) => !known.has(key));
}
