import { randomInt } from 'node:crypto';

/** Uniform in [0, 1), like Math.random, but from a seed. */
export type Random = () => number;

/** mulberry32: a small, fast PRNG whose sequence depends only on the seed, on any platform. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

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
