import type { Random } from '@trainyard/shared/platform';
import { shuffle } from './random.js';

export interface RowSplit {
  train: number[];
  validation: number[];
}

/**
 * Holds out `fraction` of the row indexes for validation. With strata (a class per row) each class
 * is split on its own, so both sides keep every class in its share. Rounding down keeps at least
 * half of every group for training, as fraction is at most 0.5.
 */
export function splitRows(count: number, fraction: number, random: Random, strata?: readonly number[]): RowSplit {
  const groups = new Map<number, number[]>();
  for (let row = 0; row < count; row++) {
    const key = strata?.[row] ?? 0;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const split: RowSplit = { train: [], validation: [] };
  for (const rows of groups.values()) {
    shuffle(rows, random);
    const held = Math.floor(rows.length * fraction);
    split.validation.push(...rows.slice(0, held));
    split.train.push(...rows.slice(held));
  }
  return split;
}
