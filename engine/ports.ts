/**
 * Port kinds and the one rule that decides whether an output may feed an input.
 * Validation, the workflow plan and (later) the editor's sockets all use `connectionRule`.
 */
import type { BlobRef } from './blob/ref.ts';

export const SCALAR_KINDS = ['text', 'json', 'image', 'audio', 'document', 'embedding'] as const;
export type ScalarKind = (typeof SCALAR_KINDS)[number];
export type ListKind = `${ScalarKind}[]`;
/** `any` is accepted only by sink-like inputs (output nodes, templates); no output produces it. */
export type PortKind = ScalarKind | ListKind | 'any';

export const PORT_KINDS: readonly PortKind[] = [
  ...SCALAR_KINDS,
  ...SCALAR_KINDS.map((k) => `${k}[]` as ListKind),
  'any',
];

export const MEDIA_KINDS: readonly ScalarKind[] = ['image', 'audio', 'document'];

/** An embedding vector together with the model that produced it (vectors of different models never compare). */
export interface Embedding {
  model: string;
  vector: number[];
}

type ScalarValue<K extends ScalarKind> = K extends 'text'
  ? string
  : K extends 'json'
    ? unknown
    : K extends 'embedding'
      ? Embedding
      : BlobRef;

/** The TypeScript type of a value travelling through a port of kind K. */
export type PortValue<K extends PortKind> = K extends `${infer S extends ScalarKind}[]`
  ? ScalarValue<S>[]
  : K extends ScalarKind
    ? ScalarValue<K>
    : unknown;

export function isPortKind(value: unknown): value is PortKind {
  return typeof value === 'string' && (PORT_KINDS as readonly string[]).includes(value);
}

export function isListKind(kind: PortKind): kind is ListKind {
  return kind.endsWith('[]');
}

export function elementKind(kind: PortKind): ScalarKind | 'any' {
  return isListKind(kind) ? (kind.slice(0, -2) as ScalarKind) : (kind as ScalarKind | 'any');
}

/**
 * How a value crosses an edge:
 * - `same`: passed as is;
 * - `wrap`: a single value feeding a list input becomes a one-element list;
 * - `refused`: the kinds do not fit (`reason` says why).
 *
 * Allowed coercions are deliberately few: same kind, single into list of that kind, and anything into
 * `any`. Text never silently becomes JSON (or back), a list never silently becomes one item.
 */
export type ConnectionRule = { ok: true; mode: 'same' | 'wrap' } | { ok: false; reason: string };

export function connectionRule(from: PortKind, to: PortKind): ConnectionRule {
  if (to === 'any') return { ok: true, mode: 'same' };
  if (from === to) return { ok: true, mode: 'same' };
  if (from === 'any') return { ok: false, reason: `an untyped value cannot feed a ${to} input` };
  if (isListKind(to) && !isListKind(from) && elementKind(to) === from) return { ok: true, mode: 'wrap' };
  if (isListKind(from) && !isListKind(to) && elementKind(from) === to) {
    return { ok: false, reason: `a ${from} list cannot feed a single ${to} input; pick one item or use a list input` };
  }
  return { ok: false, reason: `a ${from} output cannot feed a ${to} input` };
}

/** List inputs may receive several edges (their values are concatenated in edge order). */
export function acceptsManyEdges(kind: PortKind): boolean {
  return isListKind(kind);
}
