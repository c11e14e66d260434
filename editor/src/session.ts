/**
 * The editor's link to the API: one TesseraClient (the typed client the CLI uses) on this origin, the API
 * key if the server wants one, and whether the API answers. Every call goes through `call`, which turns
 * the client's coded errors into what the page shows: the key prompt (401), the unreachable banner
 * (SERVER_UNREACHABLE) or an error line with the API's code and message.
 */
import { reactive } from 'vue';
import { ApiClientError, TesseraClient } from '../../engine/api/client/client.ts';

/** sessionStorage: the key lives as long as the tab, never in a URL or a cookie. */
const KEY_STORAGE = 'tessera.apiKey';

export const session = reactive({
  /** The API did not answer (network error): the banner is up. */
  unreachable: false,
  unreachableMessage: '',
  /** The API asked for a key (401). */
  needsKey: false,
  keyError: '',
  /** The last coded error to show (code and message). */
  error: undefined as { code: string; message: string } | undefined,
  /** Bumped when the API is back or a key is accepted, so views reload. */
  generation: 0,
});

let token = sessionStorage.getItem(KEY_STORAGE) ?? undefined;
let client = makeClient(token);

function makeClient(key?: string): TesseraClient {
  return new TesseraClient({ server: window.location.origin, token: key, fetch: (...args) => window.fetch(...args) });
}

/** The Authorization header for requests the typed client cannot make (uploads with progress). */
export function authHeaders(): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export function api(): TesseraClient {
  return client;
}

export class Handled extends Error {}

/** Runs an API call; errors are shown (and rethrown as Handled so callers can stop). */
export async function call<T>(run: (api: TesseraClient) => Promise<T>, options: { quiet?: boolean } = {}): Promise<T> {
  try {
    const result = await run(client);
    if (session.unreachable) {
      session.unreachable = false;
      session.generation++;
    }
    return result;
  } catch (err) {
    report(err, options);
    throw new Handled((err as Error).message);
  }
}

/** Shows an error of an API call: the unreachable banner, the key prompt, or the coded error line. */
export function report(err: unknown, options: { quiet?: boolean } = {}): void {
  if (err instanceof Handled) return;
  if (err instanceof ApiClientError) {
    if (err.code === 'SERVER_UNREACHABLE' || err.status === 0) {
      session.unreachable = true;
      session.unreachableMessage = err.message;
    } else if (err.status === 401) {
      session.needsKey = true;
    } else if (!options.quiet) {
      session.error = { code: err.code, message: err.message };
    }
  } else if (!options.quiet) {
    session.error = { code: 'EDITOR_ERROR', message: (err as Error).message };
  }
}

/** Tries a key on a route that needs one; keeps it only if the API accepts it. */
export async function useKey(key: string): Promise<boolean> {
  const candidate = makeClient(key.trim());
  try {
    await candidate.listPipelines({ limit: 1 });
  } catch (err) {
    session.keyError = err instanceof ApiClientError ? (err.status === 401 ? `${err.code}: ${err.message}` : `${err.code}: ${err.message}`) : String(err);
    return false;
  }
  client = candidate;
  token = key.trim();
  sessionStorage.setItem(KEY_STORAGE, token);
  session.needsKey = false;
  session.keyError = '';
  session.generation++;
  return true;
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
  token = undefined;
  client = makeClient();
}

/** Asks the API whether it is back (the banner's Retry, and every few seconds while it is up). */
export async function retry(): Promise<void> {
  try {
    await fetch('/api/v1/health', { cache: 'no-store' }).then((r) => {
      if (!r.ok) throw new Error(String(r.status));
    });
    session.unreachable = false;
    session.generation++;
  } catch {
    session.unreachable = true;
  }
}

setInterval(() => {
  if (session.unreachable) void retry();
}, 2000);
