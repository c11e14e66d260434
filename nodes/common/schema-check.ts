/** JSON Schema validation of extracted values (ajv), with messages a model can act on in a repair turn. */
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * Compiled validators, keyed by the schema's JSON text (params are parsed afresh for every run, so object
 * identity would compile a new copy each time). Ajv keeps every schema it compiles in caches of its own,
 * so the bound is on Ajv instances: a generation is an Ajv with the validators it compiled; when the
 * current one is full it becomes the previous one and the generation before is dropped whole. At most
 * two generations (2 x GENERATION_SIZE schemas) are alive, whatever the number of distinct schemas.
 */
const GENERATION_SIZE = 200;

interface Generation {
  ajv: Ajv;
  validators: Map<string, ValidateFunction>;
}

// addUsedSchema false: a schema carrying an `$id` is compiled again for every run, and registering its id
// would make every compile after the first fail with "already exists".
const newGeneration = (): Generation => ({ ajv: new Ajv({ allErrors: true, strict: false, addUsedSchema: false }), validators: new Map() });
let current = newGeneration();
let previous: Generation | undefined;

/** Compiles (once per distinct schema) a schema; returns the error text when the schema itself is invalid. */
export function compileSchema(schema: Record<string, unknown>): { validate: ValidateFunction } | { error: string } {
  const key = JSON.stringify(schema);
  const cached = current.validators.get(key) ?? previous?.validators.get(key);
  if (cached) return { validate: cached };
  if (current.validators.size >= GENERATION_SIZE) {
    previous = current;
    current = newGeneration();
  }
  try {
    const validate = current.ajv.compile(schema);
    current.validators.set(key, validate);
    return { validate };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** How many compiled schemas are alive (for tests of the bound). */
export function compiledSchemaCount(): number {
  return current.validators.size + (previous?.validators.size ?? 0);
}

export function schemaErrors(validate: ValidateFunction, value: unknown): string[] {
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`);
}
