/**
 * Turns a node type's params JSON Schema into form fields for the inspector. A small generator for the
 * schema features node params use (strings, multi-line prompts and templates, numbers with bounds, enums,
 * booleans, arrays, nested objects), with a JSON editor for everything else, notably JSON-Schema-valued
 * params such as extract-json's `schema`. Pure, so test/editor/form.test.ts runs it on every built-in node.
 */

export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
};

export type Widget = 'text' | 'textarea' | 'number' | 'integer' | 'select' | 'checkbox' | 'list' | 'object' | 'json';

export interface Field {
  key: string;
  label: string;
  widget: Widget;
  required: boolean;
  description?: string;
  default?: unknown;
  options?: unknown[];
  min?: number;
  max?: number;
  pattern?: string;
  /** Nested object fields. */
  fields?: Field[];
  /** List element widget (text, number, integer). */
  item?: Widget;
}

/** Params whose text is long by nature: prompts, templates, instructions. */
const MULTILINE = /prompt|template|system|instructions|separator/i;

export function formFields(schema: unknown): Field[] {
  const s = (schema ?? {}) as JsonSchema;
  const required = new Set(s.required ?? []);
  return Object.entries(s.properties ?? {}).map(([key, prop]) => field(key, prop, required.has(key)));
}

function field(key: string, prop: JsonSchema, required: boolean): Field {
  const base = { key, label: prop.title ?? humanize(key), required, description: prop.description, default: prop.default };
  const type = Array.isArray(prop.type) ? undefined : prop.type;
  if (prop.enum) return { ...base, widget: 'select', options: prop.enum };
  if (type === 'string') {
    const multiline = MULTILINE.test(key) || (prop.maxLength ?? 0) > 200;
    return { ...base, widget: multiline ? 'textarea' : 'text', pattern: prop.pattern, min: prop.minLength, max: prop.maxLength };
  }
  if (type === 'number' || type === 'integer') {
    return { ...base, widget: type, min: prop.minimum ?? prop.exclusiveMinimum, max: prop.maximum ?? prop.exclusiveMaximum };
  }
  if (type === 'boolean') return { ...base, widget: 'checkbox' };
  if (type === 'array') {
    const itemType = prop.items?.type;
    if (!prop.items?.enum && (itemType === 'string' || itemType === 'number' || itemType === 'integer')) return { ...base, widget: 'list', item: itemType === 'string' ? 'text' : itemType };
    return { ...base, widget: 'json' };
  }
  // An object with declared properties and nothing else is a nested form; an open object (a JSON Schema,
  // a free-form map) or a value of any type is edited as JSON.
  if (type === 'object' && prop.properties && !prop.additionalProperties) return { ...base, widget: 'object', fields: formFields(prop) };
  return { ...base, widget: 'json' };
}

function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[-_]/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1).toLowerCase();
}

/**
 * Reads a form input back into a param value: empty means "not set" (the key is removed, so the node
 * type's default applies), numbers are parsed, JSON must parse (else the error is returned and the value
 * is kept as it was).
 */
export function parseFieldInput(f: Pick<Field, 'widget'>, raw: string | boolean): { value: unknown; unset?: boolean; error?: string } {
  if (f.widget === 'checkbox') return { value: Boolean(raw) };
  const text = String(raw);
  if (text.trim() === '' && f.widget !== 'textarea') return { value: undefined, unset: true };
  if (f.widget === 'textarea' && text === '') return { value: undefined, unset: true };
  if (f.widget === 'number' || f.widget === 'integer') {
    const n = Number(text);
    if (!Number.isFinite(n)) return { value: undefined, error: 'not a number' };
    if (f.widget === 'integer' && !Number.isInteger(n)) return { value: undefined, error: 'a whole number is needed' };
    return { value: n };
  }
  if (f.widget === 'json' || f.widget === 'object') {
    try {
      return { value: JSON.parse(text) };
    } catch (err) {
      return { value: undefined, error: `not valid JSON: ${(err as Error).message}` };
    }
  }
  return { value: text };
}
