/** The published JSON Schema matches the zod source, and every example pipeline is valid. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pipelineJsonSchema, PIPELINE_FORMAT } from '../../engine/pipeline/schema.ts';
import { validatePipelineText } from '../../engine/pipeline/validate.ts';
import { loadSubPipelines } from '../../engine/pipeline/sub-pipelines.ts';
import { pipelinesInFolder } from '../../engine/pipeline/folder-pipelines.ts';
import { createRegistry } from '../../nodes/index.ts';

const repo = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));

test('schemas/pipeline.v1.schema.json equals pipelineJsonSchema() (run `npm run schema` after changing the format)', () => {
  const published = JSON.parse(readFileSync(repo('schemas/pipeline.v1.schema.json'), 'utf8'));
  const generated = JSON.parse(JSON.stringify(pipelineJsonSchema()));
  assert.deepEqual(published, generated);
  // A sanity check that the comparison is about the real thing.
  assert.equal(published.title, PIPELINE_FORMAT);
  assert.deepEqual([...published.required].sort(), ['edges', 'format', 'name', 'nodes']);
});

test('every examples/*.pipeline.json validates against the built-in registry (sub-pipelines from the folder)', async () => {
  const files = readdirSync(repo('examples')).filter((f) => f.endsWith('.pipeline.json'));
  assert.ok(files.length > 0, 'no example pipelines found');
  const registry = createRegistry();
  for (const file of files) {
    const text = readFileSync(repo(`examples/${file}`), 'utf8');
    const subPipelines = await loadSubPipelines(JSON.parse(text), pipelinesInFolder(repo('examples')));
    const result = validatePipelineText(text, registry, { subPipelines });
    assert.ok(result.ok, `${file}: ${JSON.stringify(!result.ok && result.errors, null, 2)}`);
  }
});
