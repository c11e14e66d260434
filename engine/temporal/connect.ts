/**
 * Connecting to Temporal: a configured cluster (TEMPORAL_ADDRESS, with TLS and API key for Temporal Cloud),
 * an embedded dev server already running on the local port, or a new embedded dev server.
 */
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { TemporalSettings } from '../config.ts';
import { TesseraError } from '../errors.ts';
import { portAnswers, startDevServer, type DevServer } from './dev-server.ts';

export interface TemporalHandle {
  address: string;
  namespace: string;
  client: Client;
  /** The worker's connection (a separate, native one). Created lazily by `workerConnection()`. */
  workerConnection(): Promise<NativeConnection>;
  /** Set when this process started the embedded server. */
  devServer?: DevServer;
  /** True when a server already running on the local port is used (one this process did not start). */
  reused: boolean;
  /** Where the Temporal UI is, when known. */
  uiUrl?: string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Embedded server database file (used only when no address is configured). */
  dbFile: string;
  /** Start the embedded server when none answers locally (default true). */
  embedded?: boolean;
  ui?: boolean;
}

export async function connectTemporal(settings: TemporalSettings, options: ConnectOptions): Promise<TemporalHandle> {
  let address = settings.address;
  let devServer: DevServer | undefined;
  let uiUrl: string | undefined;
  let reused = false;
  if (!address) {
    if (settings.port && (await portAnswers(settings.port))) {
      address = `127.0.0.1:${settings.port}`; // a `tessera dev` (or another dev server) already runs here
      reused = true;
      // Its UI, if it serves one, is on the configured UI port (a link is only offered when that port answers).
      if (settings.uiPort && (await portAnswers(settings.uiPort))) uiUrl = `http://127.0.0.1:${settings.uiPort}`;
    } else if (options.embedded === false) {
      throw new TesseraError('TEMPORAL_UNREACHABLE', `No Temporal server answers on 127.0.0.1:${settings.port}; set TEMPORAL_ADDRESS or start "tessera dev".`);
    } else {
      devServer = await startDevServer({
        dbFile: options.dbFile,
        port: settings.port,
        uiPort: settings.uiPort,
        namespace: settings.namespace,
        cliPath: settings.cliPath,
        ui: options.ui,
      });
      address = devServer.address;
      uiUrl = devServer.uiUrl;
    }
  }

  const tls = tlsConfig(settings);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, tls, apiKey: settings.apiKey, connectTimeout: 5000 });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    await devServer?.stop();
    if (reused) {
      // Something listens on the port, but it is not Temporal: say which setting to change.
      throw new TesseraError(
        'TEMPORAL_PORT_IN_USE',
        `Port ${settings.port} (TESSERA_TEMPORAL_PORT) is in use by something that is not a Temporal server: set TESSERA_TEMPORAL_PORT to a free port (0 picks one), or TEMPORAL_ADDRESS to a Temporal server.`,
        { cause: err },
      );
    }
    throw new TesseraError('TEMPORAL_UNREACHABLE', `Cannot reach Temporal at ${address}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }

  let native: Promise<NativeConnection> | undefined;
  // @temporalio/worker (the Core SDK's native side) is loaded with the first native connection: a process
  // that only serves the API never loads it.
  const workerConnection = (): Promise<NativeConnection> =>
    (native ??= Promise.all([import('@temporalio/worker'), import('../worker/runtime.ts')]).then(([{ NativeConnection }, { ensureTemporalRuntime }]) => {
      ensureTemporalRuntime(); // before the first native connection, which would install a default runtime
      return NativeConnection.connect({ address: address!, tls, apiKey: settings.apiKey });
    }));

  return {
    address,
    namespace: settings.namespace,
    client: new Client({ connection, namespace: settings.namespace }),
    workerConnection,
    devServer,
    reused,
    uiUrl,
    async close() {
      await connection.close();
      if (native) await (await native).close();
      await devServer?.stop();
    },
  };
}

function tlsConfig(settings: TemporalSettings) {
  if (!settings.tls) return undefined;
  if (settings.tlsCertPath && settings.tlsKeyPath) {
    return { clientCertPair: { crt: readFileSync(settings.tlsCertPath), key: readFileSync(settings.tlsKeyPath) } };
  }
  return true;
}
