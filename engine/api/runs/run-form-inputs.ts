/**
 * Turns the values of a multipart run form into run inputs, by the kind of each pipeline input: media
 * inputs take the uploaded references; a file given for a text or JSON input is read back as its content;
 * text fields are taken as text for text inputs and parsed as JSON otherwise; list inputs collect every
 * value (in order), single inputs take exactly one. Kind checks proper stay in resolveRunInputs.
 */
import type { BlobRef } from '../../blob/ref.ts';
import type { BlobStore } from '../../blob/store.ts';
import { elementKind, isListKind, MEDIA_KINDS, type PortKind, type ScalarKind } from '../../ports.ts';
import type { InputSpec } from '../../run/inputs.ts';
import { apiError } from '../errors.ts';
import type { RunForm } from './run-form.ts';
import { assertJsonDepth } from '../http/json-body.ts';

/** Refuses a file sent for an input the pipeline does not have, before any of it is stored. */
export function assertFileInput(specs: InputSpec[], name: string): void {
  if (specs.some((s) => s.name === name)) return;
  const known = specs.map((s) => s.name).join(', ') || 'none';
  throw apiError('RUN_INPUT_UNKNOWN', `The pipeline has no input "${name}" (inputs: ${known}); the file sent for it was not stored.`, { input: name });
}

export async function formInputs(form: RunForm, specs: InputSpec[], blobs: BlobStore): Promise<Record<string, unknown>> {
  const inputs: Record<string, unknown> = { ...form.inputs };
  const names = new Set([...form.fields.keys(), ...form.files.keys()]);
  for (const name of names) {
    const kind: PortKind = specs.find((s) => s.name === name)?.kind ?? 'any';
    const element = elementKind(kind);
    const values: unknown[] = [];
    for (const text of form.fields.get(name) ?? []) {
      const value = fieldValue(name, text, element);
      values.push(...(isListKind(kind) && Array.isArray(value) && element !== 'json' ? value : [value]));
    }
    for (const ref of form.files.get(name) ?? []) values.push(await fileValue(name, ref, element, blobs));
    if (isListKind(kind)) inputs[name] = values;
    else if (values.length === 1) inputs[name] = values[0];
    else throw apiError('RUN_INPUT_INVALID', `Input "${name}" (${kind}) takes one value; the form has ${values.length}.`, { input: name });
  }
  return inputs;
}

function fieldValue(name: string, text: string, kind: ScalarKind | 'any'): unknown {
  if (kind === 'text') return text;
  assertJsonDepth(text, `Input "${name}"`);
  try {
    return JSON.parse(text);
  } catch {
    if (kind === 'any') return text;
    const hint = MEDIA_KINDS.includes(kind) ? 'upload the file in this field, or give a blob reference as JSON' : 'it is not valid JSON';
    throw apiError('RUN_INPUT_INVALID', `Input "${name}" is ${kind}: ${hint}.`, { input: name });
  }
}

async function fileValue(name: string, ref: BlobRef, kind: ScalarKind | 'any', blobs: BlobStore): Promise<unknown> {
  if (kind !== 'text' && kind !== 'json' && kind !== 'embedding') return ref;
  const text = (await blobs.readAll(ref)).toString('utf8');
  return kind === 'text' ? text : fieldValue(name, text, kind);
}
