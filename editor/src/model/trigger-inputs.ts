/**
 * The pipeline's inputs as fields of a trigger form (a schedule's inputs), and the values typed into
 * them back as run inputs: text as typed, JSON parsed, lists of text one item per line. Media inputs
 * cannot be uploaded from a trigger form; they take a blob reference as JSON (or their default).
 */
import type { Pipeline } from '../../../engine/pipeline/schema.ts';
import { elementKind, isListKind, MEDIA_KINDS, type PortKind, type ScalarKind } from '../../../engine/ports.ts';

/** How a field is edited: a text area, one item per line, or JSON (media: a blob reference). */
export type FieldEditor = 'text' | 'lines' | 'json' | 'media';

export interface InputField {
  name: string;
  kind: PortKind;
  /** No default: the run needs a value. */
  required: boolean;
  default?: unknown;
  description?: string;
  editor: FieldEditor;
}

function editorFor(kind: PortKind): FieldEditor {
  const element = elementKind(kind);
  if (MEDIA_KINDS.includes(element as ScalarKind)) return 'media';
  if (element === 'text') return isListKind(kind) ? 'lines' : 'text';
  return 'json';
}

/** The input nodes of the document, in document order (a node without a name is skipped: it is invalid). */
export function pipelineInputFields(doc: Pipeline): InputField[] {
  const fields: InputField[] = [];
  for (const node of doc.nodes) {
    if (node.type !== 'input') continue;
    const p = (node.params ?? {}) as { name?: unknown; kind?: unknown; default?: unknown; description?: unknown };
    if (typeof p.name !== 'string' || !p.name) continue;
    const kind = (typeof p.kind === 'string' ? p.kind : 'text') as PortKind;
    fields.push({
      name: p.name,
      kind,
      required: p.default === undefined,
      ...(p.default !== undefined ? { default: p.default } : {}),
      ...(typeof p.description === 'string' ? { description: p.description } : {}),
      editor: editorFor(kind),
    });
  }
  return fields;
}

/** What a field shows before anything is typed: its default, in the field's own notation. */
export function initialText(field: InputField): string {
  if (field.default === undefined) return '';
  if (field.editor === 'text' && typeof field.default === 'string') return field.default;
  if (field.editor === 'lines' && Array.isArray(field.default) && field.default.every((v) => typeof v === 'string')) return field.default.join('\n');
  return JSON.stringify(field.default, null, 2);
}

export type ParsedInputs = { ok: true; inputs: Record<string, unknown> } | { ok: false; problems: Record<string, string> };

/**
 * The typed texts as run inputs. An empty field is left out (its default applies; the API names a
 * required input left empty). A field still showing its default is left out too, so the default stays
 * the pipeline's to change.
 */
export function parseInputs(fields: InputField[], texts: Record<string, string>): ParsedInputs {
  const inputs: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const text = texts[field.name] ?? '';
    if (text.trim() === '' || (field.default !== undefined && text === initialText(field))) continue;
    if (field.editor === 'text') inputs[field.name] = text;
    else if (field.editor === 'lines') inputs[field.name] = text.split('\n').map((l) => l.trim()).filter(Boolean);
    else {
      try {
        inputs[field.name] = JSON.parse(text);
      } catch (err) {
        problems[field.name] = field.editor === 'media'
          ? 'Give a blob reference as JSON, e.g. { "sha256": "…", "mime": "audio/mp4", "size": 1234 }.'
          : `Not valid JSON: ${(err as Error).message}`;
      }
    }
  }
  return Object.keys(problems).length ? { ok: false, problems } : { ok: true, inputs };
}

/** An example value for a field in code snippets: its default, else a placeholder of its kind. */
export function exampleValue(field: InputField): unknown {
  if (field.default !== undefined) return field.default;
  const element = elementKind(field.kind);
  const one = element === 'text' ? `${field.name} text` : element === 'embedding' ? { model: 'model', vector: [0.1, 0.2] } : {};
  return isListKind(field.kind) ? [one] : one;
}
