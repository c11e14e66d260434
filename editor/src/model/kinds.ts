/**
 * How port kinds look on the canvas and whether two sockets may be wired. Compatibility is
 * `connectionRule` from engine/ports.ts, the engine's own rule, imported into the bundle (not copied).
 */
import { acceptsManyEdges, connectionRule, elementKind, isListKind, isPortKind, type ConnectionRule, type PortKind } from '../../../engine/ports.ts';

export { acceptsManyEdges, isPortKind, type PortKind };

/** One colour per element kind; lists share their element's colour and are drawn as rings (see SocketView). */
export const KIND_COLORS: Record<string, string> = {
  text: '#4f8cc9',
  json: '#d9a23b',
  image: '#3fa36b',
  audio: '#b05cc8',
  document: '#c9584f',
  embedding: '#3bb3b3',
  any: '#8a8f98',
};

export interface SocketLook {
  color: string;
  /** Lists are hollow rings with a thick border; single values are filled discs. */
  list: boolean;
  label: string;
}

export function socketLook(kind: PortKind | undefined): SocketLook {
  if (!kind) return { color: '#c0392b', list: false, label: 'unknown port' };
  return { color: KIND_COLORS[elementKind(kind)] ?? KIND_COLORS.any, list: isListKind(kind), label: kind };
}

/** The engine's rule, with a reason when a side's kind is not known (a port the params no longer make). */
export function canConnect(from: PortKind | undefined, to: PortKind | undefined): ConnectionRule {
  if (!from) return { ok: false, reason: 'this output does not exist for the node\'s current params' };
  if (!to) return { ok: false, reason: 'this input does not exist for the node\'s current params' };
  return connectionRule(from, to);
}
