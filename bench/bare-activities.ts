/** The baseline worker's activities (bare-workflow.ts): the same trivial work as the Tessera nodes they stand for. */
import type { BareActivities } from './bare-workflow.ts';

export const bareActivities: Omit<BareActivities, 'sleep'> = {
  noop: async (text) => text,
  pick: async (json, path) => String(path.split('.').reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], json)),
  template: async (template, values) => template.replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name] ?? ''),
  join: async (items, separator) => items.join(separator),
};
