import { sseMessages, type SseMessage } from '@trainyard/client/sse';
import { authHeaders, errorOf } from './client.js';

export interface Follow {
  /**
   * Resolves when the stream ends: true when the server closed it (a reconnect may bring more),
   * false when it answered 204 (nothing more will come) or it was stopped; rejects with the API's refusal.
   */
  done: Promise<boolean>;
  stop(): void;
}

/**
 * Follows an SSE endpoint with the session's key. EventSource cannot send an Authorization
 * header, so this reads the stream with fetch. `lastEventId` asks for a replay after that id.
 */
export function followEvents(path: string, onEvent: (event: SseMessage) => void, lastEventId?: string): Follow {
  const controller = new AbortController();
  const done = (async () => {
    const response = await fetch(path, {
      headers: { accept: 'text/event-stream', ...authHeaders(), ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal: controller.signal,
    });
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204 || !response.body) return false;
    for await (const event of sseMessages(response.body)) onEvent(event);
    return true;
  })().catch((error: unknown) => {
    if ((error as Error).name !== 'AbortError') throw error;
    return false;
  });
  return { done, stop: () => controller.abort() };
}
