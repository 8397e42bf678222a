import { describe, expect, it } from 'vitest';
import { EventStreamParser } from './sse.js';

describe('EventStreamParser', () => {
  it('when an event arrives split across chunks, then it is parsed once complete', () => {
    const parser = new EventStreamParser();
    expect(parser.push('id: 1-0\nevent: prog')).toEqual([]);
    expect(parser.push('ress\ndata: {"percent":5}\n')).toEqual([]);
    expect(parser.push('\nevent: status\ndata: {"status":"SUCCESS"}\n\n')).toEqual([
      { id: '1-0', event: 'progress', data: '{"percent":5}' },
      { event: 'status', data: '{"status":"SUCCESS"}' },
    ]);
  });

  it('when the stream sends heartbeat comments and CRLF line ends, then only events come out', () => {
    const parser = new EventStreamParser();
    expect(parser.push(': heartbeat\n\nevent: status\r\ndata: a\r\ndata: b\r\n\r\n')).toEqual([{ event: 'status', data: 'a\nb' }]);
  });
});
