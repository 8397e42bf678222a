import { describe, expect, it } from 'vitest';
import type { LoggedTaskEvent, TaskEvent } from './events.js';
import { historyOf } from './resource.js';

const logged = (events: TaskEvent[]): LoggedTaskEvent[] => events.map((event, i) => ({ id: `${i + 1}-0`, event }));
const at = '2026-01-01T00:00:00.000Z';

describe('historyOf', () => {
  it('tells a resume on its own attempt\'s STARTED entry, and lists progress nowhere', () => {
    const history = historyOf(
      logged([
        { type: 'status', status: 'STARTED', attempt: 1, at, worker: 'a:1' },
        { type: 'progress', progress: { percent: 10, epoch: 4, epochs: 40, loss: 1, phase: 'fit' }, at },
        { type: 'status', status: 'STARTED', attempt: 2, at, worker: 'b:2' },
        { type: 'resume', attempt: 2, at, worker: 'b:2', resumed_from: { phase: 'fit', epoch: 3 } },
        { type: 'status', status: 'SUCCESS', attempt: 2, at, worker: 'b:2' },
      ]),
    );
    expect(history).toEqual([
      { status: 'STARTED', attempt: 1, at, worker: 'a:1' },
      { status: 'STARTED', attempt: 2, at, worker: 'b:2', resumed_from: { phase: 'fit', epoch: 3 } },
      { status: 'SUCCESS', attempt: 2, at, worker: 'b:2' },
    ]);
  });
});
