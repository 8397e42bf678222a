import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from './client.js';
import type { SseMessage } from '@trainyard/client/sse';
import { followEvents } from './sse.js';

/**
 * Keeps an event stream open while the component lives: reconnects after the server ends it
 * (a restart, a proxy's timeout) with a growing pause, stops at a 204 (a finished task's stream
 * has nothing more), and gives up on a refusal (4xx), which `onRefused` reports. The latest `onEvent` is always the one called.
 */
export function useEventStream(
  path: string | null,
  onEvent: (event: SseMessage) => void,
  onRefused: (error: ApiError) => void,
  /** Replay the stream's events after this id first (reconnects always resume after the last id seen). */
  replayAfter?: string,
) {
  const handlers = useRef({ onEvent, onRefused });
  handlers.current = { onEvent, onRefused };
  useEffect(() => {
    if (!path) return;
    let stopped = false;
    let current: { stop(): void } | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let pause = 500;
    let lastId = replayAfter;
    const open = () => {
      const follow = followEvents(
        path,
        (event) => {
          pause = 500;
          if (event.id) lastId = event.id;
          handlers.current.onEvent(event);
        },
        lastId,
      );
      current = follow;
      follow.done.then(
        (more) => more && again(),
        (error: unknown) => {
          if (error instanceof ApiError && error.status >= 400 && error.status < 500) handlers.current.onRefused(error);
          else again();
        },
      );
    };
    const again = () => {
      if (stopped) return;
      timer = setTimeout(open, pause);
      pause = Math.min(pause * 2, 15_000);
    };
    open();
    return () => {
      stopped = true;
      clearTimeout(timer);
      current?.stop();
    };
  }, [path, replayAfter]);
}
