/**
 * Client routes (history API): `/` the pipelines, `/new` a new one (optionally `?template=<example>`),
 * `/pipelines/<id>` one pipeline, `/pipelines/<id>/runs/<run>` one of its runs on its canvas. The API answers index.html for exactly these paths
 * (engine/api/routes/editor.ts), so reloading any of them works.
 */
import { reactive } from 'vue';

export type Route = { name: 'list' } | { name: 'new'; template?: string } | { name: 'pipeline'; id: string; runId?: string };

export const router = reactive({ route: parse(), guard: undefined as undefined | (() => boolean) });

function parse(): Route {
  const { pathname, search } = window.location;
  const match = /^\/pipelines\/([^/]+)(?:\/runs\/([^/]+))?\/?$/.exec(pathname);
  if (match) return { name: 'pipeline', id: decodeURIComponent(match[1]), ...(match[2] ? { runId: decodeURIComponent(match[2]) } : {}) };
  if (pathname === '/new') return { name: 'new', template: new URLSearchParams(search).get('template') ?? undefined };
  return { name: 'list' };
}

/** Navigates unless the current view's guard (unsaved changes) says no. */
export function navigate(path: string, options: { replace?: boolean; force?: boolean } = {}): void {
  if (!options.force && router.guard && !router.guard()) return;
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  router.route = parse();
}

window.addEventListener('popstate', () => {
  router.route = parse();
});
