import { readFile } from 'node:fs/promises';
import { codedError } from '../errors.ts';
import type { NodeRegistry } from '../node-sdk/registry.ts';
import { validatePipelineText, type ValidationResult } from './validate.ts';

/** Reads and validates a pipeline file; an unreadable file is a coded error like any other. */
export async function loadPipelineFile(file: string, registry: NodeRegistry): Promise<ValidationResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    return { ok: false, errors: [codedError('FILE_UNREADABLE', `Cannot read pipeline file "${file}": ${reason}.`)] };
  }
  return validatePipelineText(text, registry);
}
