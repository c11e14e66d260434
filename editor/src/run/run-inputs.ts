/**
 * The run form's model: one field per input node of the pipeline (its name, kind, default, description),
 * and turning what the user entered into the `inputs` of a run. Pure: the form component holds the state.
 */
import { neededNodeIds } from '../../../engine/pipeline/needed-nodes.ts';
import type { Pipeline } from '../../../engine/pipeline/schema.ts';

export type ScalarKind = 'text' | 'json' | 'image' | 'audio' | 'document' | 'embedding';

export interface RunInputField {
  name: string;
  nodeId: string;
  kind: ScalarKind;
  list: boolean;
  media: boolean;
  description?: string;
  /** The node's default: the input may be left empty. */
  default?: unknown;
  hasDefault: boolean;
}

/** What the user entered for one field: texts (one per list item), or uploaded files. */
export interface FieldEntry {
  texts: string[];
  files: { name: string; size: number; progress: number; ref?: unknown; error?: string }[];
}

const MEDIA = new Set<string>(['image', 'audio', 'document']);

/** The nodes a run of the document needs: an input that only feeds pinned nodes is not asked for. */
function neededInputs(doc: Pipeline): Set<string> {
  const nodeOf = (endpoint: string) => endpoint.slice(0, endpoint.lastIndexOf('.'));
  return neededNodeIds({
    nodes: doc.nodes.map((n) => ({ id: n.id, output: n.type === 'output', pinned: !!n.pinned })),
    edges: doc.edges.map((e) => ({ from: nodeOf(e.from), to: nodeOf(e.to) })),
  });
}

export function runInputFields(doc: Pipeline): RunInputField[] {
  const needed = neededInputs(doc);
  return doc.nodes
    .filter((n) => n.type === 'input' && needed.has(n.id))
    .map((n) => {
      const params = (n.params ?? {}) as { name?: string; kind?: string; default?: unknown; description?: string };
      const full = params.kind ?? 'text';
      const list = full.endsWith('[]');
      const kind = (list ? full.slice(0, -2) : full) as ScalarKind;
      return { name: params.name ?? n.id, nodeId: n.id, kind, list, media: MEDIA.has(kind), description: params.description, default: params.default, hasDefault: params.default !== undefined };
    });
}

/** The entry a field starts with: its default written out (media defaults are left to the server). */
export function initialEntry(field: RunInputField): FieldEntry {
  if (field.media || !field.hasDefault) return { texts: field.list ? [] : [''], files: [] };
  const show = (v: unknown) => (field.kind === 'text' && typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  const values = field.list && Array.isArray(field.default) ? field.default : [field.default];
  return { texts: values.map(show), files: [] };
}

/** One text entry as a value of the field's kind, or why it is not one. */
export function parseEntry(field: RunInputField, text: string): { value?: unknown; error?: string } {
  if (field.kind === 'text') return { value: text };
  try {
    const value = JSON.parse(text) as unknown;
    if (field.kind === 'embedding' && !(Array.isArray(value) && value.every((x) => typeof x === 'number'))) return { error: 'An embedding is a JSON array of numbers.' };
    return { value };
  } catch (err) {
    return { error: `Not valid JSON: ${(err as Error).message}` };
  }
}

/**
 * The run's inputs, or the problems by input name. An empty field with a default is left out (the server
 * fills the default); uploads still going or failed are problems.
 */
export function buildInputs(fields: RunInputField[], entries: Record<string, FieldEntry>): { inputs: Record<string, unknown>; problems: Record<string, string> } {
  const inputs: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  for (const field of fields) {
    const entry = entries[field.name] ?? { texts: [], files: [] };
    let values: unknown[] = [];
    if (field.media) {
      if (entry.files.some((f) => f.error)) problems[field.name] = entry.files.find((f) => f.error)!.error!;
      else if (entry.files.some((f) => !f.ref)) problems[field.name] = 'Wait for the upload to finish.';
      values = entry.files.map((f) => f.ref);
    } else {
      const texts = field.kind === 'text' ? entry.texts : entry.texts.filter((t) => t.trim() !== '');
      for (const text of texts) {
        const parsed = parseEntry(field, text);
        if (parsed.error) problems[field.name] = parsed.error;
        else values.push(parsed.value);
      }
      // An empty text field is "no value": the default, or a missing required input.
      if (!field.list && field.kind === 'text' && values.length === 1 && values[0] === '') values = [];
    }
    if (problems[field.name]) continue;
    if (values.length === 0) {
      if (!field.hasDefault) problems[field.name] = field.media ? 'Choose, drop or record a file.' : 'Required.';
      continue;
    }
    inputs[field.name] = field.list ? values : values[0];
  }
  return { inputs, problems };
}
