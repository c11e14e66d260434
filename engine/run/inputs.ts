/**
 * Checks the values given for a run against the pipeline's input nodes: every required input present,
 * no unknown names, each value of its declared kind. Defaults fill what is missing.
 */
import { isBlobRef } from '../blob/ref.ts';
import { mediaKindAccepts } from '../blob/media-kind.ts';
import { codedError, type CodedError } from '../errors.ts';
import { elementKind, isListKind, type PortKind } from '../ports.ts';
import type { ValidPipeline } from '../pipeline/validate.ts';

export interface InputSpec {
  nodeId: string;
  name: string;
  kind: PortKind;
  required: boolean;
  default?: unknown;
  description?: string;
}

export function pipelineInputs(valid: ValidPipeline): InputSpec[] {
  return [...valid.nodes.values()]
    .filter((n) => n.definition.role === 'input')
    .map((n) => {
      const p = n.params as { name: string; kind: PortKind; default?: unknown; description?: string };
      return { nodeId: n.node.id, name: p.name, kind: p.kind, required: p.default === undefined, default: p.default, description: p.description };
    });
}

export function resolveRunInputs(
  valid: ValidPipeline,
  given: Record<string, unknown>,
): { ok: true; inputs: Record<string, unknown> } | { ok: false; errors: CodedError[] } {
  const specs = pipelineInputs(valid);
  const errors: CodedError[] = [];
  const inputs: Record<string, unknown> = {};
  for (const name of Object.keys(given)) {
    if (!specs.some((s) => s.name === name)) {
      const known = specs.map((s) => s.name).join(', ') || 'none';
      errors.push(codedError('RUN_INPUT_UNKNOWN', `The pipeline has no input "${name}" (inputs: ${known}).`, { details: { input: name } }));
    }
  }
  for (const spec of specs) {
    // Own keys only: an input named "constructor" must not find Object's constructor.
    // null is a real JSON value; only an absent (or undefined) value falls back to the default.
    const value = Object.hasOwn(given, spec.name) && given[spec.name] !== undefined ? given[spec.name] : spec.default;
    if (value === undefined) {
      errors.push(codedError('RUN_INPUT_MISSING', `Input "${spec.name}" (${spec.kind}) is required.`, { nodeId: spec.nodeId, details: { input: spec.name } }));
      continue;
    }
    const problem = kindProblem(value, spec.kind);
    if (problem) {
      errors.push(codedError('RUN_INPUT_INVALID', `Input "${spec.name}" must be ${spec.kind}: ${problem}.`, { nodeId: spec.nodeId, details: { input: spec.name } }));
      continue;
    }
    inputs[spec.name] = value;
  }
  return errors.length ? { ok: false, errors } : { ok: true, inputs };
}

/** Why a value is not of a kind, or undefined when it is. */
export function kindProblem(value: unknown, kind: PortKind): string | undefined {
  if (kind === 'any') return undefined;
  if (isListKind(kind)) {
    if (!Array.isArray(value)) return 'expected a list';
    for (const [i, item] of value.entries()) {
      const problem = kindProblem(item, elementKind(kind) as PortKind);
      if (problem) return `item ${i}: ${problem}`;
    }
    return undefined;
  }
  switch (kind) {
    case 'text':
      return typeof value === 'string' ? undefined : `got ${describe(value)}`;
    case 'json':
      return undefined;
    case 'embedding': {
      const e = value as { model?: unknown; vector?: unknown };
      return typeof e?.model === 'string' && Array.isArray(e.vector) && e.vector.every((x) => typeof x === 'number')
        ? undefined
        : 'expected { model, vector: number[] }';
    }
    default: {
      if (!isBlobRef(value)) return 'expected a blob reference { sha256, mime, size } (upload the file first)';
      if (kind === 'image' && !mediaKindAccepts('image', value.mime)) return `the file is ${value.mime}, not an image`;
      if (kind === 'audio' && !mediaKindAccepts('audio', value.mime)) return `the file is ${value.mime}, not audio`;
      return undefined;
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
