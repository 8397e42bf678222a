import { describe, expect, it } from 'vitest';
import { sseMessages } from './sse.js';

function streamOf(...chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>) {
  const messages = [];
  for await (const message of sseMessages(stream)) messages.push(message);
  return messages;
}

describe('sseMessages', () => {
  it('reads messages split anywhere across chunks, skipping heartbeats', async () => {
    const messages = await collect(streamOf('id: 1-0\nevent: sta', 'tus\ndata: {"status":"STARTED"}\n\n: heartbeat\n\n', 'event: progress\ndata: {"epoch":3}\n\n'));
    expect(messages).toEqual([
      { id: '1-0', event: 'status', data: '{"status":"STARTED"}' },
      { event: 'progress', data: '{"epoch":3}' },
    ]);
  });

  it('joins multi-line data, reads CRLF framing and defaults the event name', async () => {
    expect(await collect(streamOf('data: a\r\ndata: b\r\n\r\n'))).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('drops an unfinished message at the end of the stream', async () => {
    expect(await collect(streamOf('data: complete\n\ndata: cut'))).toEqual([{ event: 'message', data: 'complete' }]);
  });

  it('closes the stream when the reader stops early, as a live follow that is left must', async () => {
    let cancelled: unknown = null;
    const open = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode('data: first\n\n')),
      cancel: (reason) => {
        cancelled = reason ?? 'cancelled';
      },
    });
    for await (const message of sseMessages(open)) {
      expect(message.data).toBe('first');
      break;
    }
    expect(cancelled).not.toBeNull();
  });
});
