/**
 * The ports of a mapped node (a node run once per item of a list, `map` in the file). Shared by
 * validation, the run plan and the editor, so that all three see the same ports. Pure.
 *
 * - The mapped input takes a list of its own kind (an `image` input takes `image[]`).
 * - Every output becomes a list in item order; an output that is already a list is concatenated across
 *   items (so an OCR mapped over page images gives one `pages` list, not a list of lists).
 * - With `onItemError: "continue"` the node gains an `itemErrors` output: the failed items, each
 *   `{ index, code, message }`, in item order (their values are left out of the other outputs).
 */
import { isListKind, type PortKind } from '../ports.ts';

export interface MapSpec {
  port: string;
  concurrency?: number;
  onItemError?: 'fail' | 'continue';
}

interface PortLike {
  kind: PortKind;
  required?: boolean;
  description?: string;
}

export const DEFAULT_MAP_CONCURRENCY = 4;
export const ITEM_ERRORS_PORT = 'itemErrors';

/**
 * The list kind a mapped input receives, or why the port cannot be mapped. An untyped (`any`) input stays
 * `any`: validation then requires a list to be wired into it.
 */
export function mappedInputKind(kind: PortKind): { ok: true; kind: PortKind } | { ok: false; reason: string } {
  if (kind === 'any') return { ok: true, kind };
  if (isListKind(kind)) return { ok: false, reason: `it is already a list (${kind}); map over a single-valued input` };
  return { ok: true, kind: `${kind}[]` as PortKind };
}

/** The inputs as the graph sees them: the mapped port takes a list. */
export function mappedInputs<P extends PortLike>(inputs: Record<string, P>, map: MapSpec | undefined): Record<string, P> {
  if (!map || !Object.hasOwn(inputs, map.port)) return inputs;
  const mapped = mappedInputKind(inputs[map.port].kind);
  if (!mapped.ok) return inputs;
  return { ...inputs, [map.port]: { ...inputs[map.port], kind: mapped.kind } };
}

/** The outputs as the graph sees them: lists in item order, plus `itemErrors` when failed items are let through. */
export function mappedOutputs<P extends PortLike>(outputs: Record<string, P>, map: MapSpec | undefined): Record<string, PortLike> {
  if (!map) return outputs;
  const listed: Record<string, PortLike> = Object.fromEntries(
    Object.entries(outputs).map(([port, spec]) => [port, { ...spec, kind: (isListKind(spec.kind) ? spec.kind : `${spec.kind}[]`) as PortKind }]),
  );
  if (map.onItemError === 'continue') {
    listed[ITEM_ERRORS_PORT] = { kind: 'json', description: 'The items that failed: [{ index, code, message }], in item order.' };
  }
  return listed;
}

/** Outputs whose per-item values are lists themselves: the mapped node concatenates them. */
export function concatenatedPorts(outputs: Record<string, PortLike>): string[] {
  return Object.entries(outputs).filter(([, spec]) => isListKind(spec.kind)).map(([port]) => port);
}
