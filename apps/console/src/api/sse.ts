import { authHeaders, errorOf } from './client.js';

export interface ServerEvent {
  id?: string;
  event: string;
  data: string;
}

/**
 * Splits a Server-Sent Events byte stream, chunk by chunk, into events (comments and retry
 * lines are dropped). Keeps the unfinished tail for the next chunk.
 */
export class EventStreamParser {
  private buffer = '';

  push(chunk: string): ServerEvent[] {
    this.buffer += chunk.replace(/\r\n?/g, '\n');
    const events: ServerEvent[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const event: ServerEvent = { event: 'message', data: '' };
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(value);
        else if (field === 'event') event.event = value;
        else if (field === 'id') event.id = value;
      }
      if (data.length) events.push({ ...event, data: data.join('\n') });
    }
    return events;
  }
}

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
export function followEvents(path: string, onEvent: (event: ServerEvent) => void, lastEventId?: string): Follow {
  const controller = new AbortController();
  const done = (async () => {
    const response = await fetch(path, {
      headers: { accept: 'text/event-stream', ...authHeaders(), ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
      signal: controller.signal,
    });
    if (!response.ok) throw await errorOf(response);
    if (response.status === 204 || !response.body) return false;
    const parser = new EventStreamParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done: ended } = await reader.read();
      if (ended) return true;
      parser.push(value).forEach(onEvent);
    }
  })().catch((error: unknown) => {
    if ((error as Error).name !== 'AbortError') throw error;
    return false;
  });
  return { done, stop: () => controller.abort() };
}
