import { stream } from './lib/api.ts';

/** One live event from `/api/events`. */
export interface LiveEvent {
  type: string;
  data: unknown;
  taskId?: string;
  conversationId?: string;
}

type Listener = (event: LiveEvent) => void;
const listeners = new Set<Listener>();

/** Subscribes to live events; returns the unsubscribe function. */
export function onLive(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Keeps one `/api/events` stream open while signed in (fetch, so the token stays in a header),
 * reconnecting with a growing pause; `onState` says whether it is connected.
 */
export function connectLive(onState: (state: 'connected' | 'reconnecting' | 'unavailable') => void): () => void {
  const controller = new AbortController();
  let pause = 1000;
  const loop = async (): Promise<void> => {
    while (!controller.signal.aborted) {
      try {
        await stream('GET', '/api/events', undefined, (event) => {
          pause = 1000;
          let parsed: LiveEvent;
          try {
            const body = JSON.parse(event.data) as Partial<LiveEvent>;
            parsed = { type: body.type ?? event.event, data: body.data ?? body };
            if (body.taskId) parsed.taskId = body.taskId;
            if (body.conversationId) parsed.conversationId = body.conversationId;
          } catch {
            return;
          }
          for (const l of listeners) l(parsed);
        }, controller.signal, () => onState('connected'));
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof Error && 'notAvailable' in error && (error as { notAvailable: boolean }).notAvailable) {
          onState('unavailable');
          return;
        }
      }
      if (controller.signal.aborted) return;
      onState('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 30_000);
    }
  };
  void loop();
  return () => controller.abort();
}
