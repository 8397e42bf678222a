import type { Algorithm, QualitySet } from './datasets.js';
import type { ReferenceResult } from './reference.js';
import type { OurResult } from './trainyard-runs.js';

export interface QualityRow {
  id: string;
  set: QualitySet;
  algorithm: Algorithm;
  ours: OurResult;
}

/** Issue 12: held-out score at most this far below the reference. */
const qualityMargin = 0.01;
/** Issue 12: our fit time at most this many times scikit-learn's. */
const speedFactor = (algorithm: Algorithm) => (algorithm === 'mlp' ? 2 : 5);
/** Issue 12's absolute ceilings for some rows, worker-side fit time in ms. */
const absoluteCeilings: Record<string, number> = {
  'iris/logistic-regression': 25,
  'digits/logistic-regression': 250,
  'digits/mlp': 1_000,
};

const ms = (value: number) => (value >= 1_000 ? `${(value / 1_000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`);
const verdict = (met: boolean) => (met ? 'yes' : 'NO');

/** The Markdown table docs/models.md shows. */
export function qualityTable(rows: readonly QualityRow[], references: ReadonlyMap<string, ReferenceResult>): string {
  const withReference = references.size > 0;
  const header = [
    'Data set',
    'Algorithm',
    'Held-out',
    ...(withReference ? ['scikit-learn', `≥ ref − ${qualityMargin}`] : []),
    'Our fit',
    ...(withReference ? ['sklearn fit', 'Ratio', 'Speed target met'] : []),
    'Training task',
  ];
  const lines = rows.map(({ id, set, algorithm, ours }) => {
    const metric = set.task === 'classification' ? 'accuracy' : 'R²';
    const reference = references.get(id);
    const ceiling = absoluteCeilings[id];
    const ratio = reference ? ours.fitMs / reference.fitMs : Number.NaN;
    const speedMet = ratio <= speedFactor(algorithm) && (ceiling === undefined || ours.fitMs <= ceiling);
    return [
      `${set.name} (${set.origin}, ${set.trainRows} rows)`,
      algorithm,
      `${metric} ${ours.score.toFixed(3)}`,
      ...(withReference && reference
        ? [reference.score.toFixed(3), verdict(ours.score >= reference.score - qualityMargin)]
        : withReference ? ['—', '—'] : []),
      ms(ours.fitMs),
      ...(withReference && reference
        ? [ms(reference.fitMs), `${ratio.toFixed(1)}×`, `${verdict(speedMet)} (≤ ${speedFactor(algorithm)}×${ceiling ? `, ≤ ${ms(ceiling)}` : ''})`]
        : withReference ? ['—', '—', '—'] : []),
      ms(ours.durationMs),
    ];
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...lines.map(line)].join('\n');
}
