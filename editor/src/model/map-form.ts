/**
 * The inspector's "Run once per item" form: which input a task node is mapped over, how many items run at
 * once, and what a failed item does. It reads and writes the node's `map` in the document (explicit:
 * nothing is mapped unless the user turns it on). Which inputs can be mapped is the engine's own rule
 * (engine/pipeline/map-ports.ts), applied to the ports drawn for the node. Pure: unit-tested in
 * test/editor/map-form.test.ts.
 */
import { DEFAULT_MAP_CONCURRENCY, ITEM_ERRORS_PORT, mappedInputKind, mappedInputs, mappedOutputs } from '../../../engine/pipeline/map-ports.ts';
import { elementKind, isListKind, type PortKind } from '../../../engine/ports.ts';
import type { PipelineNode } from '../../../engine/pipeline/schema.ts';

export { DEFAULT_MAP_CONCURRENCY, ITEM_ERRORS_PORT };

export type OnItemError = 'fail' | 'continue';

export interface MapPortOption {
  port: string;
  /** The single kind of one item (the port's kind before mapping). */
  kind: PortKind;
  /** The list kind the mapped port takes. */
  listKind?: PortKind;
  ok: boolean;
  /** Why it cannot be mapped over. */
  reason?: string;
}

export interface MapForm {
  on: boolean;
  port: string;
  /** As typed: '' is the default (DEFAULT_MAP_CONCURRENCY). */
  concurrency: string;
  onItemError: OnItemError;
}

interface PortLike {
  key: string;
  kind: PortKind | undefined;
}

/**
 * The inputs of a node and whether each can be mapped over. `inputs` are the ports drawn for the node:
 * when it is mapped, its mapped port is drawn as a list, which is read back as its single kind.
 */
export function mapPortOptions(node: PipelineNode, inputs: PortLike[]): MapPortOption[] {
  const options: MapPortOption[] = [];
  for (const input of inputs) {
    if (!input.kind) continue;
    const kind = node.map?.port === input.key && isListKind(input.kind) ? elementKind(input.kind) : input.kind;
    const mapped = mappedInputKind(kind);
    options.push(mapped.ok ? { port: input.key, kind, listKind: mapped.kind, ok: true } : { port: input.key, kind, ok: false, reason: mapped.reason });
  }
  return options;
}

/** The form as the node's `map` says (off when it has none). */
export function mapFormOf(node: PipelineNode): MapForm {
  const map = node.map;
  return {
    on: !!map,
    port: map?.port ?? '',
    concurrency: map?.concurrency === undefined ? '' : String(map.concurrency),
    onItemError: map?.onItemError ?? 'fail',
  };
}

/** Why a typed concurrency is not accepted ('' when it is). */
export function concurrencyProblem(raw: string): string {
  const text = raw.trim();
  if (text === '') return '';
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100) return 'A whole number from 1 to 100.';
  return '';
}

/**
 * The node with the form applied: `map` set (defaults left out of the file) or removed. Turning it on
 * without a port chooses the first input that can be mapped; with none, the node is returned as it is
 * with the reason.
 */
export function applyMapForm(node: PipelineNode, form: MapForm, options: MapPortOption[]): { node: PipelineNode; problem?: string } {
  if (!form.on) {
    if (!node.map) return { node };
    const next = { ...node };
    delete next.map;
    return { node: next };
  }
  const usable = options.filter((o) => o.ok);
  const port = form.port && options.some((o) => o.port === form.port) ? form.port : usable[0]?.port;
  if (!port) {
    const reason = options.length ? options.map((o) => `${o.port}: ${o.reason}`).join('; ') : 'it has no inputs';
    return { node, problem: `This node has no single-valued input to run once per item of (${reason}).` };
  }
  const problem = concurrencyProblem(form.concurrency);
  // A number that is not accepted keeps the one the file has; an empty field is the default.
  const concurrency = problem ? node.map?.concurrency : form.concurrency.trim() === '' ? undefined : Number(form.concurrency);
  const map: NonNullable<PipelineNode['map']> = { port };
  if (concurrency !== undefined && concurrency !== DEFAULT_MAP_CONCURRENCY) map.concurrency = concurrency;
  if (form.onItemError === 'continue') map.onItemError = 'continue';
  return { node: { ...node, map }, ...(problem ? { problem } : {}) };
}

/** One line for the inspector: what mapping does to this node's ports. */
export function mapSummary(option: MapPortOption | undefined, form: MapForm): string {
  if (!form.on || !option?.listKind) return '';
  const errors = form.onItemError === 'continue' ? ` Failed items do not fail the node: its "${ITEM_ERRORS_PORT}" output lists them.` : ' One failed item fails the node.';
  const list = option.listKind === 'any' ? 'a list' : `a list (${option.listKind})`;
  return `Connect ${list} to "${option.port}": the node runs once per item, and each output becomes a list in item order.${errors}`;
}

interface PortSpecLike {
  kind: string;
  required?: boolean;
  description?: string;
}

/**
 * The catalog's ports of a node as mapping makes them (lists), drawn until the API's answer for its
 * params and `map` is in: the same functions as the API's.
 */
export function withMapPorts(ports: { inputs: Record<string, PortSpecLike>; outputs: Record<string, PortSpecLike> }, map: PipelineNode['map']): { inputs: Record<string, PortSpecLike>; outputs: Record<string, PortSpecLike> } {
  if (!map) return ports;
  type P = { kind: PortKind; required?: boolean; description?: string };
  return { inputs: mappedInputs(ports.inputs as Record<string, P>, map), outputs: mappedOutputs(ports.outputs as Record<string, P>, map) };
}
