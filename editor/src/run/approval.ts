/**
 * The approval form's model: how the value a waiting approval received is edited (JSON as text, text as
 * text, media not at all), what the edited text means, and what to send. Pure: unit-tested in
 * test/editor/flow-model.test.ts.
 */
import { elementKind, isListKind, type PortKind } from '../../../engine/ports.ts';

/** How the value is edited: a JSON text area, a text area, or not at all (images, audio, documents). */
export type DraftKind = 'json' | 'text' | 'none';

export function draftKind(kind: PortKind | undefined): DraftKind {
  if (!kind) return 'json';
  if (kind === 'text') return 'text';
  if (kind === 'json' || kind === 'any') return 'json';
  // Lists of text or JSON are edited as a JSON array; lists of media (blob references) are not edited.
  if (isListKind(kind) && (elementKind(kind) === 'text' || elementKind(kind) === 'json')) return 'json';
  return 'none';
}

/** The text the editor starts from. */
export function initialDraft(kind: DraftKind, value: unknown): string {
  if (kind === 'text') return typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value);
  if (kind === 'json') return value === undefined ? '' : JSON.stringify(value, null, 2);
  return '';
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** The value the edited text stands for, or why it is not one. */
export function parseDraft(kind: DraftKind, text: string, portKind?: PortKind): Parsed {
  if (kind === 'text') return { ok: true, value: text };
  if (kind === 'none') return { ok: false, error: 'This kind of value cannot be edited here.' };
  if (text.trim() === '') return { ok: false, error: 'Empty: write a JSON value.' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `Not JSON: ${(err as Error).message}` };
  }
  if (portKind && isListKind(portKind)) {
    if (!Array.isArray(value)) return { ok: false, error: `A list (${portKind}) is expected: write a JSON array.` };
    if (elementKind(portKind) === 'text' && value.some((item) => typeof item !== 'string')) return { ok: false, error: 'Every item of a text list is a string.' };
  }
  return { ok: true, value };
}

/** Whether the edited value differs from the one received (key order and spacing do not count). */
export function isEdited(received: unknown, parsed: Parsed): boolean {
  return parsed.ok && canonical(parsed.value) !== canonical(received);
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v)) ?? 'undefined';
}

/** What the API's refusal means for the person at the form. */
export function refusalText(error: { code?: string; status?: number; message: string }): string {
  if (error.code === 'NODE_NOT_WAITING' || error.status === 409) return `This approval is not waiting any more (decided elsewhere, timed out, or the run ended). ${error.message}`;
  if (error.code === 'APPROVAL_VALUE_INVALID' || error.status === 400) return `The value was refused: ${error.message}`;
  return error.message;
}
