/**
 * Routes its value to `then` or `else` by a condition. The workflow marks everything downstream of the
 * output not taken as `skipped` (workflows/dag.ts). Runs as a local activity: cheap and deterministic.
 */
import { z } from 'zod';
import { defineNode, NodeError } from '../../engine/node-sdk/define-node.ts';
import { compileSchema, schemaErrors } from '../common/schema-check.ts';
import { readPath } from '../common/json-path.ts';

const OPS = ['equals', 'not-equals', 'greater', 'greater-or-equal', 'less', 'less-or-equal', 'exists', 'missing', 'truthy', 'contains', 'matches', 'schema'] as const;
type Op = (typeof OPS)[number];

const params = z.object({
  kind: z.enum(['json', 'text']).default('json').describe('Kind of value routed.'),
  path: z.string().default('').describe('JSON only: the field tested, such as "confidence" or "items[0].score"; empty for the whole value.'),
  op: z.enum(OPS).default('truthy').describe('The comparison: equals, not-equals, greater, greater-or-equal, less, less-or-equal, exists, missing, truthy, contains (text or a list), matches (a regular expression), schema (a JSON Schema match).'),
  value: z.unknown().optional().describe('What the field is compared with (equals, not-equals, greater..., contains).'),
  pattern: z.string().optional().describe('The regular expression for "matches".'),
  ignoreCase: z.boolean().default(false).describe('contains and matches: ignore upper and lower case.'),
  schema: z.record(z.string(), z.unknown()).optional().describe('The JSON Schema for "schema".'),
});
type Params = z.infer<typeof params>;

const NEEDS_VALUE: readonly Op[] = ['equals', 'not-equals', 'greater', 'greater-or-equal', 'less', 'less-or-equal', 'contains'];
const TEXT_OPS: readonly Op[] = ['equals', 'not-equals', 'contains', 'matches', 'truthy'];

export const branchNode = defineNode({
  type: 'branch',
  version: 1,
  title: 'Branch',
  category: 'Flow',
  description: 'Sends its value to `then` when a condition holds, else to `else`; nodes on the path not taken are skipped.',
  params,
  inputs: (p: Params) => ({ value: { kind: p.kind } }),
  outputs: (p: Params) => ({
    then: { kind: p.kind, description: 'The value, when the condition holds.' },
    else: { kind: p.kind, description: 'The value, when it does not.' },
  }),
  execution: { startToCloseTimeout: '30s', local: true, retry: { maximumAttempts: 1 } },
  check: (p) => checkCondition(p),
  run: (_ctx, inputs, p) => {
    const holds = conditionHolds(p, inputs.value);
    return holds ? { then: inputs.value } : { else: inputs.value };
  },
});

function checkCondition(p: Params): string[] {
  const problems: string[] = [];
  if (p.kind === 'text' && !TEXT_OPS.includes(p.op)) problems.push(`"${p.op}" does not apply to text; use ${TEXT_OPS.join(', ')}.`);
  if (p.kind === 'text' && p.path) problems.push('a text value has no fields: leave "path" empty.');
  if (NEEDS_VALUE.includes(p.op) && p.value === undefined) problems.push(`"${p.op}" needs a "value" to compare with.`);
  if (p.op === 'matches') {
    if (p.pattern === undefined) problems.push('"matches" needs a "pattern".');
    else {
      try {
        new RegExp(p.pattern);
      } catch (err) {
        problems.push(`"pattern" is not a regular expression: ${(err as Error).message}.`);
      }
    }
  }
  if (p.op === 'schema') {
    if (!p.schema) problems.push('"schema" needs a "schema".');
    else {
      const compiled = compileSchema(p.schema);
      if ('error' in compiled) problems.push(`"schema" is not a valid JSON Schema: ${compiled.error}`);
    }
  }
  return problems;
}

/** Whether the condition holds for a value (exported for unit tests). */
export function conditionHolds(p: Params, value: unknown): boolean {
  const field = p.kind === 'json' ? readPath(value, p.path) : value;
  switch (p.op) {
    case 'exists':
      return field !== undefined;
    case 'missing':
      return field === undefined;
    case 'truthy':
      return !!field && !(Array.isArray(field) && field.length === 0);
    case 'equals':
      return sameJson(field, p.value);
    case 'not-equals':
      return !sameJson(field, p.value);
    case 'greater':
    case 'greater-or-equal':
    case 'less':
    case 'less-or-equal':
      return compare(p.op, field, p.value);
    case 'contains':
      return contains(field, p.value, p.ignoreCase);
    case 'matches':
      return typeof field === 'string' && new RegExp(p.pattern!, p.ignoreCase ? 'i' : '').test(field);
    case 'schema': {
      const compiled = compileSchema(p.schema!);
      if ('error' in compiled) throw new NodeError('PARAMS_INVALID', `"schema" is not a valid JSON Schema: ${compiled.error}`);
      return schemaErrors(compiled.validate, field).length === 0;
    }
  }
}

function compare(op: Op, field: unknown, value: unknown): boolean {
  const comparable = (typeof field === 'number' && typeof value === 'number') || (typeof field === 'string' && typeof value === 'string');
  if (!comparable) return false;
  const a = field as number | string;
  const b = value as number | string;
  if (op === 'greater') return a > b;
  if (op === 'greater-or-equal') return a >= b;
  if (op === 'less') return a < b;
  return a <= b;
}

function contains(field: unknown, value: unknown, ignoreCase: boolean): boolean {
  if (typeof field === 'string' && typeof value === 'string') {
    return ignoreCase ? field.toLowerCase().includes(value.toLowerCase()) : field.includes(value);
  }
  if (Array.isArray(field)) return field.some((item) => sameJson(item, value));
  return false;
}

/** Deep equality of JSON values (key order ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
