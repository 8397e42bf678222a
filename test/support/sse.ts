/** One Server-Sent Events message as a browser's EventSource would see it; comments are kept apart. */
export interface SseMessage {
  id?: string;
  event: string;
  data: any;
}

import { bearer } from './auth.js';

export interface SseStream {
  status: number;
  headers: Headers;
  /** The next message, or null once the server ended the stream. */
  next(): Promise<SseMessage | null>;
  /** Every message up to the end of the stream. */
  rest(): Promise<SseMessage[]>;
  /** Comment lines (heartbeats) seen so far. */
  comments: string[];
  /** Drops the connection, as a client that goes away. */
  close(): void;
}

/**
 * Opens an event stream with fetch (with the test admin key unless the headers name another) and
 * parses it message by message (text/event-stream framing).
 */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...bearer(), ...headers }, signal: abort.signal });
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const comments: string[] = [];
  let buffer = '';

  async function next(): Promise<SseMessage | null> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const message = parseBlock(block, comments);
        if (message) return message;
        continue;
      }
      const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
      if (chunk.done) return null;
      buffer += chunk.value;
    }
  }

  return {
    status: response.status,
    headers: response.headers,
    next,
    async rest() {
      const messages: SseMessage[] = [];
      for (let message = await next(); message; message = await next()) messages.push(message);
      return messages;
    },
    comments,
    close: () => abort.abort(),
  };
}

function parseBlock(block: string, comments: string[]): SseMessage | null {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) {
      comments.push(line.slice(1).trim());
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    fields[name] = name === 'data' && fields.data !== undefined ? `${fields.data}\n${value}` : value;
  }
  if (fields.data === undefined) return null;
  return { ...(fields.id !== undefined ? { id: fields.id } : {}), event: fields.event ?? 'message', data: JSON.parse(fields.data) };
}
