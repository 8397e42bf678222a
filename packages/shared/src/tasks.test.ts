import { describe, expect, it } from 'vitest';
import { newTaskId, taskStatusOf, taskTypeOf } from './tasks.js';

describe('task ids', () => {
  it('carry their type and 128 random bits', () => {
    const a = newTaskId('train');
    const b = newTaskId('train');
    expect(a).toMatch(/^train-[0-9a-f]{32}$/);
    expect(a).not.toBe(b);
    expect(taskTypeOf(a)).toBe('train');
    expect(taskTypeOf(newTaskId('predict'))).toBe('predict');
  });

  it('reject anything else', () => {
    for (const id of ['1', 'train-', 'train-xyz', 'other-' + '0'.repeat(32), `train-${'0'.repeat(32)}/..`]) {
      expect(taskTypeOf(id)).toBeNull();
    }
  });
});

describe('task status mapping', () => {
  it.each([
    ['waiting', 0, 'PENDING'],
    ['prioritized', 0, 'PENDING'],
    ['delayed', 0, 'PENDING'],
    ['waiting-children', 0, 'PENDING'],
    ['active', 0, 'STARTED'],
    ['active', 2, 'STARTED'],
    ['delayed', 1, 'RETRY'],
    ['waiting', 1, 'RETRY'],
    ['completed', 1, 'SUCCESS'],
    ['failed', 3, 'FAILURE'],
  ] as const)('%s after %i failed attempts reads %s', (state, attempts, status) => {
    expect(taskStatusOf(state, attempts)).toBe(status);
  });
});
