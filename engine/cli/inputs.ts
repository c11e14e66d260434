/** Turns `--input name=value` and `--input name=@path` flags into run input values (files become blobs). */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { BlobStore } from '../blob/store.ts';
import { TesseraError } from '../errors.ts';
import { isListKind, elementKind, MEDIA_KINDS, type ScalarKind } from '../ports.ts';
import type { InputSpec } from '../run/inputs.ts';

export async function parseInputFlags(flags: string[], specs: InputSpec[], blobs: BlobStore): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new TesseraError('USAGE', `--input "${flag}" must be name=value or name=@file.`);
    const name = flag.slice(0, eq);
    const raw = flag.slice(eq + 1);
    const spec = specs.find((s) => s.name === name);
    if (!spec) {
      const known = specs.map((s) => s.name).join(', ') || 'none';
      throw new TesseraError('RUN_INPUT_UNKNOWN', `The pipeline has no input "${name}" (inputs: ${known}).`);
    }
    // A repeated single-valued input used to keep the last value silently: say which one was meant.
    if (!isListKind(spec.kind) && name in values) {
      throw new TesseraError('RUN_INPUT_INVALID', `Input "${name}" is given more than once, but it takes one value (${spec.kind}); only list inputs may be repeated.`);
    }
    const element = elementKind(spec.kind) as ScalarKind | 'any';
    const value = await parseOne(name, raw, element, blobs);
    if (isListKind(spec.kind)) values[name] = [...((values[name] as unknown[]) ?? []), ...(Array.isArray(value) && element !== 'json' ? value : [value])];
    else values[name] = value;
  }
  return values;
}

async function parseOne(name: string, raw: string, kind: ScalarKind | 'any', blobs: BlobStore): Promise<unknown> {
  const isFile = raw.startsWith('@');
  const file = isFile ? raw.slice(1) : undefined;
  if (file !== undefined) {
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new TesseraError('INPUT_FILE_NOT_FOUND', `Input "${name}": file "${file}" does not exist or is not a file.`);
  }
  if (MEDIA_KINDS.includes(kind as ScalarKind)) {
    if (file === undefined) throw new TesseraError('RUN_INPUT_INVALID', `Input "${name}" is ${kind}: give a file as ${name}=@path.`);
    return blobs.put(createReadStream(file), { name: path.basename(file) });
  }
  const text = file !== undefined ? await readFile(file, 'utf8') : raw;
  if (kind === 'text') return text;
  try {
    return JSON.parse(text);
  } catch {
    if (kind === 'json' || kind === 'embedding') {
      throw new TesseraError('RUN_INPUT_INVALID', `Input "${name}" is ${kind}: "${text.slice(0, 40)}" is not valid JSON.`);
    }
    return text;
  }
}
