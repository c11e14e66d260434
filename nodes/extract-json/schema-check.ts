/** JSON Schema validation of extracted values (ajv), with messages a model can act on in a repair turn. */
import { Ajv, type ValidateFunction } from 'ajv';

// addUsedSchema false: a schema carrying an `$id` is compiled again for every run (params are parsed
// afresh), and registering its id would make every compile after the first fail with "already exists".
const ajv = new Ajv({ allErrors: true, strict: false, addUsedSchema: false });
// Keyed by the schema's JSON text: params are parsed afresh for every run, so object identity would
// compile (and keep) a new copy each time. Bounded, oldest first out.
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 200;

/** Compiles (once per distinct schema) a schema; returns the error text when the schema itself is invalid. */
export function compileSchema(schema: Record<string, unknown>): { validate: ValidateFunction } | { error: string } {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) return { validate: cached };
  try {
    const validate = ajv.compile(schema);
    compiled.set(key, validate);
    if (compiled.size > MAX_CACHED) {
      const oldest = compiled.keys().next().value as string;
      ajv.removeSchema(JSON.parse(oldest));
      compiled.delete(oldest);
    }
    return { validate };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function schemaErrors(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
}
