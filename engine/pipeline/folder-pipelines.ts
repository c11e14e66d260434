/**
 * Pipeline files as a source of sub-pipelines for the local CLI: a `pipeline` node's reference that the
 * data folder's store does not know is looked up among the `*.pipeline.json` files beside the file being
 * run, by their `name` (so `examples/pdf-summary.pipeline.json` runs `examples/summarise-text.pipeline.json`
 * without saving it first). A file has no versions: it answers as version 1, for references without a
 * version or with version 1.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadSaved } from './sub-pipelines.ts';

export function pipelinesInFolder(folder: string): LoadSaved {
  let byName: Map<string, { file: string; document: unknown }> | undefined;
  const scan = () => {
    byName = new Map();
    let files: string[] = [];
    try {
      files = readdirSync(folder).filter((f) => f.endsWith('.pipeline.json'));
    } catch {
      return byName; // an unreadable folder holds nothing
    }
    for (const file of files) {
      try {
        const document = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as { name?: unknown };
        if (typeof document?.name === 'string' && !byName.has(document.name)) byName.set(document.name, { file, document });
      } catch {
        // a file that is not JSON is not a pipeline this lookup can offer
      }
    }
    return byName;
  };
  return async (ref, version) => {
    const found = (byName ?? scan()).get(ref);
    if (!found || (version !== undefined && version !== 1)) return undefined;
    return { id: ref, version: 1, document: found.document };
  };
}

/** The first loader that knows the reference. */
export function firstOf(...loaders: LoadSaved[]): LoadSaved {
  return async (ref, version) => {
    for (const load of loaders) {
      const found = await load(ref, version);
      if (found) return found;
    }
    return undefined;
  };
}
