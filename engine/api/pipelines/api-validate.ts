/**
 * Pipelines that arrive through the API (saves, imports, validation, and every run, webhook and schedule
 * of a saved version) are validated with the server's local-file policy: without configured roots, a
 * node that reads the worker's disk is refused. Their `pipeline` nodes run saved versions of the store:
 * those the document reaches are loaded first (engine/pipeline/sub-pipelines.ts), and a saved
 * pipeline's own id is passed as `within`, so a cycle back to it is refused (PIPELINE_CYCLE). One
 * function, so no entry point can forget either.
 */
import { NO_FILE_ROOTS } from '../../files/policy.ts';
import { loadSubPipelines, type LoadSaved } from '../../pipeline/sub-pipelines.ts';
import type { ValidateOptions } from '../../pipeline/validate.ts';
import type { Store } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';

/**
 * The validation options for `document`: the file policy, the saved pipelines its `pipeline` nodes reach,
 * and, when it is the saved pipeline `pipelineId` (a new version, a run of a version), that id as `within`.
 */
export async function apiValidateOptions(deps: Pick<ApiDeps, 'localFiles' | 'store'>, document: unknown, pipelineId?: string): Promise<ValidateOptions> {
  return {
    localFiles: deps.localFiles ?? NO_FILE_ROOTS,
    subPipelines: await loadSubPipelines(document, savedVersions(deps.store)),
    ...(pipelineId ? { within: [pipelineId] } : {}),
  };
}

/**
 * A loader of saved versions (the latest when no version is given) over a store. A reference is a saved
 * pipeline's id, or its name when no id matches and exactly one pipeline has that name (so example files
 * can name the pipelines they run; saving writes the id in).
 */
export function savedVersions(store: Pick<Store, 'getVersion' | 'pipelinesNamed'>): LoadSaved {
  return async (ref, version) => {
    let record = await store.getVersion(ref, version);
    if (!record) {
      const named = await store.pipelinesNamed(ref);
      if (named.length === 1) record = await store.getVersion(named[0].id, version);
    }
    return record && { id: record.pipelineId, version: record.version, document: record.document };
  };
}
