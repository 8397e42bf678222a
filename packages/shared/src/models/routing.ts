import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * How an alias splits its traffic: weights per version number (as JSON keys, `{"3": 90, "4": 10}`),
 * and optionally a shadow version that gets a copy of every request and answers none.
 */
export const aliasRoute = z.object({ versions: z.record(z.string(), z.number()), shadow: z.int().optional() });
export type AliasRoute = z.output<typeof aliasRoute>;

/** Versions an alias may split its traffic between. */
const maxSplit = 10;
/**
 * One version (`{"version": 3}`), or a split by positive integer weights (`{"versions": {"3": 90,
 * "4": 10}}`); either may name a shadow version that gets a copy of the traffic.
 */
export const aliasTarget = z
  .strictObject({
    version: z.int().min(1).optional(),
    versions: z
      .record(z.string().regex(/^[1-9]\d*$/, 'a version number'), z.int().min(1).max(1_000_000))
      .refine((split) => Object.keys(split).length >= 1 && Object.keys(split).length <= maxSplit, `1 to ${maxSplit} versions`)
      .optional(),
    shadow: z.int().min(1).optional(),
  })
  .refine((target) => (target.version === undefined) !== (target.versions === undefined), { path: ['version'], message: 'give either version or versions' })
  .refine((target) => target.shadow === undefined || !(target.shadow === target.version || Object.hasOwn(target.versions ?? {}, String(target.shadow))), {
    path: ['shadow'],
    message: 'a shadow is a version the alias does not answer with',
  })
  .transform(({ version, versions, shadow }): AliasRoute => ({ versions: versions ?? { [version!]: 1 }, ...(shadow === undefined ? {} : { shadow }) }));

/** The version that carries most of a split (the lower number on a tie): what a plain lookup of the alias names. */
export function primaryVersion(weights: Record<string, number>): number {
  let best: [number, number] | undefined;
  for (const [version, weight] of Object.entries(weights)) {
    const number = Number(version);
    if (!best || weight > best[1] || (weight === best[1] && number < best[0])) best = [number, weight];
  }
  if (!best) throw new Error('a split names at least one version');
  return best[0];
}

/** A number in (0, 1) from a routing key and a version, the same on every API process. */
function unitHash(routingKey: string, version: string): number {
  const digest = createHash('sha256').update(`${version}\0${routingKey}`).digest();
  // 48 bits are plenty; +0.5 keeps it off 0 and 1, where the logarithm below degenerates.
  return (digest.readUIntBE(0, 6) + 0.5) / 2 ** 48;
}

/**
 * The version that answers a request. With a routing key: weighted rendezvous hashing, so a key
 * keeps its version while the split is unchanged, and changing one weight moves only the keys it
 * must. Without one: a weighted random draw.
 */
export function chooseVersion(weights: Record<string, number>, routingKey?: string, random: () => number = Math.random): number {
  const entries = Object.entries(weights);
  if (routingKey === undefined) {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let left = random() * total;
    for (const [version, weight] of entries) {
      left -= weight;
      if (left < 0) return Number(version);
    }
    return Number(entries.at(-1)![0]);
  }
  let best: [string, number] | undefined;
  for (const [version, weight] of entries) {
    // -w / ln(u) is the weighted rendezvous score: each version wins a key with probability w / Σw.
    const score = -weight / Math.log(unitHash(routingKey, version));
    if (!best || score > best[1]) best = [version, score];
  }
  return Number(best![0]);
}
