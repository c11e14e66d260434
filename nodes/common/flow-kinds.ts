/** The `kind` param of flow nodes (merge, approval, delay): the kind of value they pass through. */
import { z } from 'zod';
import { PORT_KINDS, type PortKind } from '../../engine/ports.ts';

const kinds = PORT_KINDS.filter((k) => k !== 'any') as [PortKind, ...PortKind[]];

export const flowKind = z.enum(kinds).default('json').describe('Kind of value passed through.');

/** Flow nodes are run by the workflow itself: the worker never calls their `run`. */
export function runsInWorkflow(type: string): () => never {
  return () => {
    throw new Error(`The "${type}" node is run by the workflow, not by a worker.`);
  };
}
