/**
 * When API keys are off (`tessera dev` on loopback), whatever reaches 127.0.0.1 is trusted, and a web page
 * the user visits can reach it through the browser. Two guards keep such pages out:
 *
 * - DNS rebinding: a page on evil.example whose name is re-pointed at 127.0.0.1 sends `Host: evil.example`.
 *   Only loopback Host values (127.0.0.0/8, localhost, [::1], with any port) are served.
 * - Cross-site requests: a form post or fetch from another site carries `Origin` and `Sec-Fetch-Site`.
 *   State-changing methods are refused unless they come from the same origin (the editor) or from a client
 *   that is not a browser (no Origin, as curl and the CLI send). Reads stay open so a link to the editor
 *   works; without CORS a foreign page cannot read the answers.
 *
 * With keys on, a browser cannot attach the Bearer header cross-site (no CORS), and deployments behind
 * proxies use any Host, so neither guard applies.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiError } from '../errors.ts';
import { isLoopbackHost } from './loopback.ts';

export { isLoopbackAddress, isLoopbackHost } from './loopback.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function installLocalGuard(app: FastifyInstance, options: { authRequired: boolean }): void {
  if (options.authRequired) return;
  app.addHook('onRequest', async (request) => {
    const host = request.headers.host ?? '';
    if (!isLoopbackHost(host)) {
      throw apiError('HOST_NOT_ALLOWED', `Host "${host.slice(0, 100)}" is not served: without API keys this server answers only 127.0.0.1, localhost or [::1].`, { host: host.slice(0, 100) });
    }
    if (!SAFE_METHODS.has(request.method) && isCrossSite(request, host)) {
      throw apiError('CROSS_SITE_REFUSED', 'A request from another web site was refused: without API keys only this origin (or a non-browser client) may change anything.', {
        origin: String(request.headers.origin ?? '').slice(0, 200),
      });
    }
  });
}

function isCrossSite(request: FastifyRequest, host: string): boolean {
  const fetchSite = request.headers['sec-fetch-site'];
  if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false; // not a browser, or a same-origin GET-like navigation
  return origin !== `http://${host}` && origin !== `https://${host}`;
}
