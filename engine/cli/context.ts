/** What every CLI command needs: settings, a registry with plugins, the blob store and a logger. */
import { createRegistry } from '../../nodes/index.ts';
import { FsBlobStore } from '../blob/fs-store.ts';
import { dataPaths, loadSettings, type Settings } from '../config.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { NodeRegistry } from '../node-sdk/registry.ts';
import { loadPlugins } from '../plugins.ts';
import { SqliteVectorStore } from '../vector/sqlite-store.ts';
import type { VectorStore } from '../vector/store.ts';

export interface CommonOptions {
  dataDir?: string;
  taskQueue?: string;
  plugin?: string[];
}

export interface CliContext {
  settings: Settings;
  registry: NodeRegistry;
  blobs: FsBlobStore;
  vectors: VectorStore;
  log: Logger;
  paths: ReturnType<typeof dataPaths>;
}

export async function cliContext(options: CommonOptions): Promise<CliContext> {
  const settings = loadSettings({ dataDir: options.dataDir, taskQueue: options.taskQueue });
  const paths = dataPaths(settings.dataDir);
  return {
    settings,
    paths,
    registry: createRegistry(await loadPlugins(options.plugin ?? [])),
    blobs: new FsBlobStore(paths.blobs),
    vectors: new SqliteVectorStore(paths.vectors),
    log: createLogger(),
  };
}
