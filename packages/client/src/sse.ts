/** One Server-Sent Events message: its id (for Last-Event-ID), event name and data. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * Parses a text/event-stream body message by message; comments (heartbeats) are skipped. Reads
 * with getReader() rather than `for await` over the stream, which some browsers (Safari) lack.
 */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value: chunk, done } = await reader.read();
      if (done) return;
      buffer += chunk.replace(/\r\n?/g, '\n');
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = parseBlock(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (message) yield message;
      }
    }
  } finally {
    // A reader that stops early (break, return) closes the stream, as `for await` over it would.
    await reader.cancel().catch(() => {});
  }
}

function parseBlock(block: string): SseMessage | null {
  const fields: Partial<SseMessage> = {};
  for (const line of block.split('\n')) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'data') fields.data = fields.data === undefined ? value : `${fields.data}\n${value}`;
    else if (name === 'id' || name === 'event') fields[name] = value;
  }
  if (fields.data === undefined) return null;
  return { ...(fields.id !== undefined ? { id: fields.id } : {}), event: fields.event ?? 'message', data: fields.data };
}
