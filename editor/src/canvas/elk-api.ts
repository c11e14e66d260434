/**
 * What `elkjs` resolves to in the editor bundle (vite.config.ts alias): ELK's API half, with the layout
 * engine (1.5 MB) in a Web Worker loaded from its own file, so layout never blocks the page and the page
 * does not carry ELK until auto-arrange is used.
 */
import ElkApi from 'elkjs/lib/elk-api.js';
import workerUrl from 'elkjs/lib/elk-worker.min.js?url';

type ElkOptions = ConstructorParameters<typeof ElkApi>[0];

export default class ELK extends ElkApi {
  constructor(options: ElkOptions = {}) {
    super({ ...options, workerUrl, workerFactory: (url?: string) => new Worker(url ?? workerUrl) });
  }
}
