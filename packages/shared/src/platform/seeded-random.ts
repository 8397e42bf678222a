/** Uniform in [0, 1), like Math.random, but from a seed. */
export type Random = () => number;

/** A seeded Random whose position in its sequence can be saved and restored: a checkpoint keeps it. */
export interface SeededRandom extends Random {
  state(): number;
  /** Continues the sequence from a saved state(), exactly. */
  restore(state: number): void;
}

/**
 * mulberry32: a small, fast PRNG whose sequence depends only on the seed, on any platform. Seeded
 * trainings and the generated built-in samples both draw from it. Its whole state is one 32-bit
 * number: a checkpoint saves it and a resumed training continues the sequence from it.
 */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return Object.assign(next, {
    state: () => state,
    restore: (saved: number) => {
      state = saved >>> 0;
    },
  });
}
