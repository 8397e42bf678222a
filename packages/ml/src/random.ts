import { randomInt } from 'node:crypto';
import type { Random } from '@trainyard/shared/platform';

/** A seed for a run that was given none; within the range jobs.ts accepts, so it can be replayed. */
export function randomSeed(): number {
  return randomInt(2 ** 31 - 1);
}

/** A seed for a tfjs initializer, drawn from the run's sequence. */
export function nextSeed(random: Random): number {
  return Math.floor(random() * 2 ** 31);
}

/** Fisher–Yates, in place. */
export function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
