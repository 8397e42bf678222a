import { describe, expect, it } from 'vitest';
import { newTaskId, taskTypeOf } from './ids.js';

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
