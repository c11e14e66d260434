/**
 * A pipeline file as the local CLI runs, estimates and validates it. Its `pipeline` nodes run pipelines
 * saved in the data folder's store (the one `tessera dev` serves, or TESSERA_DATABASE_URL's): when the
 * file has such nodes, the versions they reach are loaded from there before validating, as the API does
 * for what it saves and runs. Files without them never open the store (`validate` stays light).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Settings } from '../config.ts';
import { dataPaths } from '../config.ts';
import type { NodeRegistry } from '../node-sdk/registry.ts';
import { loadPipelineFile } from '../pipeline/load.ts';
import { loadSubPipelines, pipelineRefs, type LoadSaved, type SubPipelineSource } from '../pipeline/sub-pipelines.ts';
import { firstOf, pipelinesInFolder } from '../pipeline/folder-pipelines.ts';
import path from 'node:path';
import { validatePipelineText, type ValidateOptions, type ValidationResult } from '../pipeline/validate.ts';

export interface LoadedFile {
  result: ValidationResult;
  /** The options it was validated with: validate a changed copy of it (a partial run's pins) with them too. */
  options: ValidateOptions;
}

export async function loadRunnableFile(file: string, registry: NodeRegistry, settings: Settings): Promise<LoadedFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { result: await loadPipelineFile(file, registry), options: {} }; // its coded FILE_UNREADABLE
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    // validatePipelineText reports it (FILE_NOT_JSON).
  }
  const options: ValidateOptions = pipelineRefs(document).length ? { subPipelines: await savedPipelines(document, settings, path.dirname(file)) } : {};
  return { result: validatePipelineText(text, registry, options), options };
}

/**
 * The pipelines the document reaches: saved in the data folder's store (when it has one), else pipeline
 * files beside it, by name (engine/pipeline/folder-pipelines.ts).
 */
async function savedPipelines(document: unknown, settings: Settings, folder: string): Promise<SubPipelineSource> {
  const beside = pipelinesInFolder(folder);
  if (!settings.databaseUrl && !existsSync(dataPaths(settings.dataDir).store)) return loadSubPipelines(document, beside);
  const [{ openStore }, { savedVersions }] = await Promise.all([import('../store/open-store.ts'), import('../api/pipelines/api-validate.ts')]);
  const store = await openStore(settings);
  try {
    const load: LoadSaved = firstOf(savedVersions(store), beside);
    return await loadSubPipelines(document, load);
  } finally {
    await store.close();
  }
}
