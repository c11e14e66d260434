/**
 * What every save of a pipeline goes through (create, update, import): validation against the node
 * registry first, so that nothing invalid is ever stored, then pinning of node versions.
 */
import type { CodedError } from '../../errors.ts';
import type { NodeRegistry } from '../../node-sdk/registry.ts';
import type { Pipeline } from '../../pipeline/schema.ts';
import { validatePipeline, validatePipelineText } from '../../pipeline/validate.ts';
import type { ApiDeps } from '../deps.ts';
import { validationFailed } from '../errors.ts';
import { apiValidateOptions } from './api-validate.ts';

type SaveDeps = Pick<ApiDeps, 'registry' | 'localFiles'>;

/** The document to store, or a 400 with every coded validation error. */
export function prepareForSave(data: unknown, deps: SaveDeps): Pipeline {
  const result = validatePipeline(data, deps.registry, apiValidateOptions(deps));
  if (!result.ok) throw validationFailed(result.errors);
  return pinNodeVersions(result.value.pipeline, deps.registry);
}

/** The same for a file's text (import): unparsable text is FILE_NOT_JSON. */
export function prepareTextForSave(text: string, deps: SaveDeps): Pipeline {
  const result = validatePipelineText(text.replace(/^\uFEFF/, ''), deps.registry, apiValidateOptions(deps)); // editors may save a BOM
  if (!result.ok) throw validationFailed(result.errors);
  return pinNodeVersions(result.value.pipeline, deps.registry);
}

/**
 * "Pin when saved": a node without a `version` runs its type's latest version, which changes when a newer
 * one is registered. Writing today's latest into the saved document keeps a saved pipeline behaving the
 * same after an upgrade (old node versions stay registered for exactly this).
 */
export function pinNodeVersions(pipeline: Pipeline, registry: NodeRegistry): Pipeline {
  return {
    ...pipeline,
    nodes: pipeline.nodes.map(({ id, type, version, ...rest }) => ({ id, type, version: version ?? registry.get(type)!.version, ...rest })),
  };
}

export function validationReport(data: unknown, deps: SaveDeps): { valid: boolean; errors: CodedError[] } {
  const result = validatePipeline(data, deps.registry, apiValidateOptions(deps));
  return result.ok ? { valid: true, errors: [] } : { valid: false, errors: result.errors };
}
