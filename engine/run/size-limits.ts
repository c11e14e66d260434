/**
 * Every size bound of a run, in one place. Temporal refuses a payload over 2 MB (a workflow's input, an
 * activity's request or result), so what travels through it stays well under that; large values travel as
 * blob references instead. The run index and API answers are bounded too, so that no run, however large
 * its values, can make a response (or the API process) hold them.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** A value (a port's value, or one item of a list) whose JSON is larger is stored as a blob: `{ $spilled: BlobRef }`. */
export const SPILL_THRESHOLD_BYTES = 32 * KiB;

/**
 * The largest single value (as JSON) a node may produce or receive. A node returning more fails with
 * `VALUE_TOO_LARGE` (not retried) instead of taking the worker's memory, and every downstream node that
 * would have read it is spared. Text of this size is about 30,000 pages.
 */
export const MAX_VALUE_BYTES = 64 * MiB;

/** The largest params of one node (as JSON): they travel in the run's plan and in each activity request. */
export const MAX_NODE_PARAMS_BYTES = 256 * KiB;

/** The largest pipeline document (as JSON): its compiled plan is the bulk of the workflow's input. */
export const MAX_PIPELINE_BYTES = 1 * MiB;

/** The largest workflow input (plan plus inputs, large inputs already spilled), leaving headroom under Temporal's 2 MB. */
export const MAX_WORKFLOW_INPUT_BYTES = 1536 * KiB;

/** The run index (and so `GET /runs/:id`) inlines a spilled value only up to this size; larger ones stay references. */
export const INLINE_VALUE_BYTES = 256 * KiB;

/** Inline values of one run record, inputs and outputs together; past it, values stay references. */
export const INLINE_RECORD_BYTES = 1 * MiB;

/**
 * The longest error message a node failure keeps. Messages travel through Temporal (history, queries)
 * into run records and events; a node that throws with a huge message (an echoed input) must not make
 * those large.
 */
export const MAX_ERROR_MESSAGE_CHARS = 2000;

/** The message cut to MAX_ERROR_MESSAGE_CHARS, saying how much was left out. */
export function boundMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE_CHARS) return message;
  return `${message.slice(0, MAX_ERROR_MESSAGE_CHARS)}… (${message.length - MAX_ERROR_MESSAGE_CHARS} more characters)`;
}

/** Bytes of a value as JSON (0 for undefined, which JSON leaves out). */
export function jsonBytes(value: unknown): number {
  const json = JSON.stringify(value);
  return json === undefined ? 0 : Buffer.byteLength(json);
}

/** "1.5 MB", "256 KB": sizes in messages people read. */
export function formatBytes(n: number): string {
  if (n >= MiB) return `${Math.round((n / MiB) * 10) / 10} MB`;
  if (n >= KiB) return `${Math.round(n / KiB)} KB`;
  return `${n} bytes`;
}
