import { EventEmitter } from 'node:events';
import type { FastifyPluginAsync } from 'fastify';

/** One live event for the person's screens (progress of a task, a new approval, an audit line). */
export interface LiveEvent {
  type: string;
  taskId?: string;
  conversationId?: string;
  data: unknown;
}

/** Fan-out of live events to every open event stream. */
export class EventHub {
  readonly #emitter = new EventEmitter();
  #seq = 0;

  constructor() {
    this.#emitter.setMaxListeners(1000);
  }

  /** Sends an event to every subscriber. */
  publish(event: LiveEvent): void {
    this.#emitter.emit('event', { ...event, id: ++this.#seq });
  }

  /** Calls `listener` for every event until the returned function is called. */
  subscribe(listener: (event: LiveEvent & { id: number }) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }
}

/**
 * `GET /api/events`: server-sent events for live progress. The bearer token is checked like every
 * API route (the web app reads the stream with fetch, so the token never goes in a URL).
 */
export function eventsFeature(hub: EventHub): FastifyPluginAsync {
  return async (api) => {
    api.get('/events', (request, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      });
      res.write(': connected\n\n');
      const unsubscribe = hub.subscribe((event) => {
        res.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      });
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      ping.unref();
      request.raw.on('close', () => {
        clearInterval(ping);
        unsubscribe();
      });
    });
  };
}
