/**
 * GET /runs/:id/events: a run's events as Server-Sent Events. Stored events after `Last-Event-ID` (or
 * `?after=`) are replayed, then live ones follow as the tracker stores them; `id:` is the event's seq,
 * `event:` its type, `data:` the event as JSON. The stream ends after `run.finished`, sends a comment
 * every 15 s to keep proxies from timing out, and is ended when the client leaves or the server closes.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isActiveRun, type RunEvent } from '../../store/types.ts';
import type { ApiDeps } from '../deps.ts';
import { apiError } from '../errors.ts';
import { ErrorBody, RUN_EVENT_TYPES } from '../runs/run-schemas.ts';

const HEARTBEAT_MS = 15_000;
/** Without a tracker (or for a run no tracker follows) the store is polled for new events. */
const STORE_POLL_MS = 1_000;

const Params = z.object({ id: z.string().min(1).max(200) });
const Query = z.object({ after: z.coerce.number().int().min(0).optional().describe('Replay events after this seq (the Last-Event-ID header wins).') });

/** One Server-Sent Event of the stream: `data` is a RunEvent as JSON. */
const SseEvent = z.object({
  id: z.string().describe('The event\'s seq: send it back as Last-Event-ID to resume.'),
  event: z.enum(RUN_EVENT_TYPES),
  data: z.string().describe('The RunEvent { seq, runId, type, data, at } as JSON.'),
});

export function eventsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const open = new Set<() => void>();
  // End streams before the server closes its connections, so clients see a clean end of stream.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.withTypeProvider<ZodTypeProvider>().get(
    '/runs/:id/events',
    {
      schema: {
        tags: ['runs'],
        summary: 'The run\'s events as Server-Sent Events (text/event-stream); resume with Last-Event-ID.',
        params: Params,
        querystring: Query,
        response: {
          200: { description: 'A stream of `id`/`event`/`data` records, one per run event; `: keep-alive` comments every 15 s.', content: { 'text/event-stream': { schema: SseEvent } } },
          400: ErrorBody,
          404: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const runId = request.params.id;
      const run = await deps.store.getRun(runId);
      if (!run) throw apiError('RUN_NOT_FOUND', `No run "${runId}".`, { runId });
      let last = resumeAfter(request.headers['last-event-id'], request.query.after);

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': stream of run events\n\n');

      let ended = false;
      let replaying = true;
      const buffered: RunEvent[] = [];
      const send = (event: RunEvent) => {
        if (ended || event.seq <= last) return;
        last = event.seq;
        res.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
        if (event.type === 'run.finished') end();
      };
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      let poll: NodeJS.Timeout | undefined;
      const unsubscribe = deps.tracker?.subscribe(runId, (event) => (replaying ? buffered.push(event) : send(event)));
      let stopHearing: (() => void) | undefined;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        clearInterval(poll);
        unsubscribe?.();
        stopHearing?.();
        open.delete(end);
        res.end();
      };
      open.add(end);
      res.once('close', end);

      try {
        for (const event of await deps.store.eventsAfter(runId, last)) send(event);
        replaying = false;
        for (const event of buffered) send(event);
        if (ended) return;
        const current = await deps.store.getRun(runId);
        const followed = deps.tracker?.isFollowing(runId) ?? false;
        // A finished run whose tracker is done has nothing more to say (its run.finished, if any, was sent).
        if (current && !isActiveRun(current.status) && !followed) return end();
        if (!followed) {
          // Another process follows it: its events are read from the store as soon as one is announced
          // (PostgreSQL), and at least every second (SQLite, or a missed announcement).
          stopHearing = deps.tracker?.onStored(runId, () => void pollStore());
          poll = setInterval(() => void pollStore(), STORE_POLL_MS);
        }
      } catch (err) {
        request.log.warn({ err, runId }, 'event stream failed');
        end();
      }

      /** New events from the store; the stream ends once the run finished and nothing is left to send. */
      let reading: Promise<void> | undefined;
      function pollStore(): Promise<void> {
        // One read at a time (announcements can come in bursts); a read under way picks up what came before it.
        return (reading ??= readStore().finally(() => (reading = undefined)));
      }
      async function readStore(): Promise<void> {
        try {
          const status = (await deps.store.getRun(runId))?.status;
          for (const event of await deps.store.eventsAfter(runId, last)) send(event);
          if (!isActiveRun(status) && !deps.tracker?.isFollowing(runId)) end();
        } catch {
          end();
        }
      }
    },
  );
}

function resumeAfter(header: string | string[] | undefined, after: number | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  const seq = value !== undefined && /^\d+$/.test(value.trim()) ? Number(value.trim()) : undefined;
  return seq ?? after ?? 0;
}
