// Regenerates the published JSON Schema of the pipeline file from its zod definition.
import { writeFileSync } from 'node:fs';
import { pipelineJsonSchema } from '../engine/pipeline/schema.ts';

const target = new URL('../schemas/pipeline.v1.schema.json', import.meta.url);
writeFileSync(target, JSON.stringify(pipelineJsonSchema(), null, 2) + '\n');
console.log(`wrote ${target.pathname}`);
