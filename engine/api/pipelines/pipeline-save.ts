/**
 * What every save of a pipeline goes through (create, update, import): validation against the node
 * registry and the saved pipelines its `pipeline` nodes run first, so that nothing invalid is ever stored,
 * then pinning of node versions and of the sub-pipeline versions.
 */
import type { CodedError } from '../../errors.ts';
import type { NodeRegistry } from '../../node-sdk/registry.ts';
import type { Pipeline } from '../../pipeline/schema.ts';
import { validatePipeline, validatePipelineText, type ValidationResult, type ValidPipeline } from '../../pipeline/validate.ts';
import type { ApiDeps } from '../deps.ts';
import { validationFailed } from '../errors.ts';
import { apiValidateOptions } from './api-validate.ts';

type SaveDeps = Pick<ApiDeps, 'registry' | 'localFiles' | 'store'>;

/** The document to store, or a 400 with every coded validation error. `pipelineId`: the pipeline it becomes a version of. */
export async function prepareForSave(data: unknown, deps: SaveDeps, pipelineId?: string): Promise<Pipeline> {
  return saved(validatePipeline(data, deps.registry, await apiValidateOptions(deps, data, pipelineId)), deps.registry);
}

/** The same for a file's text (import, always a new pipeline): unparsable text is FILE_NOT_JSON. */
export async function prepareTextForSave(text: string, deps: SaveDeps): Promise<Pipeline> {
  const bare = text.replace(/^\uFEFF/, ''); // editors may save a BOM
  let data: unknown;
  try {
    data = JSON.parse(bare);
  } catch {
    // validatePipelineText reports it (FILE_NOT_JSON) with the position.
  }
  return saved(validatePipelineText(bare, deps.registry, await apiValidateOptions(deps, data)), deps.registry);
}

function saved(result: ValidationResult, registry: NodeRegistry): Pipeline {
  if (!result.ok) throw validationFailed(result.errors);
  return pinSubPipelines(pinNodeVersions(result.value.pipeline, registry), result.value);
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

/**
 * The same for sub-pipelines: a `pipeline` node without `params.version` runs the child's latest version
 * as validation found it; that version is written in, so a later save of the child does not change
 * what the parent runs (it is saved again to take the new one). A child named by its name gets its id
 * written in, so renaming it later changes nothing either.
 */
export function pinSubPipelines(pipeline: Pipeline, valid: ValidPipeline): Pipeline {
  return {
    ...pipeline,
    nodes: pipeline.nodes.map((node) => {
      const child = valid.nodes.get(node.id)?.child;
      const params = (node.params ?? {}) as { pipeline?: unknown; version?: unknown };
      if (!child || (params.version !== undefined && params.pipeline === child.id)) return node;
      return { ...node, params: { ...params, pipeline: child.id, version: child.version } };
    }),
  };
}

export async function validationReport(data: unknown, deps: SaveDeps): Promise<{ valid: boolean; errors: CodedError[] }> {
  const result = validatePipeline(data, deps.registry, await apiValidateOptions(deps, data));
  return result.ok ? { valid: true, errors: [] } : { valid: false, errors: result.errors };
}
