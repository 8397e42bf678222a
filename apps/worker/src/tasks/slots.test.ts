import { describe, expect, it } from 'vitest';
import { Slots } from './slots.js';

const open = new AbortController().signal;

describe('slots shared by several workers', () => {
  it('gives out no more than the limit, and a freed slot to the longest waiter', async () => {
    const slots = new Slots(2);
    expect(await Promise.all([slots.take(open), slots.take(open)])).toEqual([true, true]);
    const order: string[] = [];
    const first = slots.take(open).then((taken) => order.push(`first ${taken}`));
    const second = slots.take(open).then((taken) => order.push(`second ${taken}`));
    await Promise.resolve();
    expect(order).toEqual([]);
    slots.release();
    await first;
    expect(order).toEqual(['first true']);
    slots.release();
    await second;
    expect(order).toEqual(['first true', 'second true']);
  });

  it('takes none for a waiter that gives up, and passes it over when a slot frees', async () => {
    const slots = new Slots(1);
    await slots.take(open);
    const leaving = new AbortController();
    const abandoned = slots.take(leaving.signal);
    const next = slots.take(open);
    leaving.abort();
    expect(await abandoned).toBe(false);
    slots.release();
    expect(await next).toBe(true);
    slots.release();
    // A worker already closing takes none, even when one is free.
    expect(await slots.take(AbortSignal.abort())).toBe(false);
    expect(await slots.take(open)).toBe(true);
  });
});
