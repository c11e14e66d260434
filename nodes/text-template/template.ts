import { readPath } from '../json-pick/path.ts';

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)((?:\.[A-Za-z0-9_-]+|\[\d+\])*)\s*\}\}/g;

/** The distinct port names a template reads, in order of first use. */
export function templatePlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]))];
}

export function renderTemplate(template: string, values: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_all, name: string, path: string) => {
    const value = path ? readPath(values[name], path.replace(/^\./, '')) : values[name];
    if (value === undefined || value === null) return '';
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}
