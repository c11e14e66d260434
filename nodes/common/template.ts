import { readPath } from './json-path.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z0-9_-]+|\[\d+\])*)\s*\}\}/g;

/** The distinct port names a template reads, in order of first use. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

/** The rendered text would be longer than `maxLength` characters. */
export class TemplateTooLongError extends Error {
  constructor(readonly maxLength: number) {
    super(`The filled template would be longer than ${maxLength} characters.`);
    this.name = 'TemplateTooLongError';
  }
}

/**
 * Fills the placeholders. With `maxLength`, stops as soon as the text would be longer: a short template
 * repeating a large value must fail before the whole text is built (it could take the worker's memory).
 */
export function renderTemplate(template: string, values: Record<string, unknown>, maxLength = Infinity): string {
  // The literal text, then each value as it is filled in.
  let length = template.length - [...template.matchAll(PLACEHOLDER)].reduce((n, m) => n + m[0].length, 0);
  return template.replace(PLACEHOLDER, (_all: string, name: string, path: string) => {
    const value = path ? readPath(values[name], path.replace(/^\./, '')) : values[name];
    const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    length += text.length;
    if (length > maxLength) throw new TemplateTooLongError(maxLength);
    return text;
  });
}
