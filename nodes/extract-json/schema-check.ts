/** JSON Schema validation of extracted values (ajv), with messages a model can act on in a repair turn. */
import { Ajv, type ValidateFunction } from 'ajv';

// addUsedSchema false: a schema carrying an `$id` is compiled again for every run (params are parsed
// afresh), and registering its id would make every compile after the first fail with "already exists".
const ajv = new Ajv({ allErrors: true, strict: false, addUsedSchema: false });
const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles (once) a schema; returns the error text when the schema itself is invalid. */
export function compileSchema(schema: Record<string, unknown>): { validate: ValidateFunction } | { error: string } {
  const cached = compiled.get(schema);
  if (cached) return { validate: cached };
  try {
    const validate = ajv.compile(schema);
    compiled.set(schema, validate);
    return { validate };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export function schemaErrors(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
}
