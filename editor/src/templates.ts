/** The files of examples/, bundled at build time and offered as templates on the first screen. */
import type { Pipeline } from '../../engine/pipeline/schema.ts';

const files = import.meta.glob('../../examples/*.pipeline.json', { eager: true, import: 'default' }) as Record<string, Pipeline>;

export const templates: { key: string; doc: Pipeline }[] = Object.entries(files)
  .map(([path, doc]) => ({ key: path.split('/').pop()!.replace('.pipeline.json', ''), doc }))
  .sort((a, b) => a.key.localeCompare(b.key));
