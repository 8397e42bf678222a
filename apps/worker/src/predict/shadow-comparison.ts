import type { Prediction } from '@trainyard/shared/jobs';
import type { ShadowComparison } from '@trainyard/shared/models';

/**
 * How a shadow's predictions compare with the answering version's on the same rows: how many labels
 * agree (classifiers), or the summed absolute difference (regressors). Rows where one is a class and
 * the other a value cannot agree.
 */
export function compareShadow(answered: readonly Prediction[], shadow: readonly Prediction[]): ShadowComparison {
  const regression = answered.every((p) => 'value' in p) && shadow.every((p) => 'value' in p);
  let value = 0;
  answered.forEach((a, i) => {
    const s = shadow[i]!;
    if (regression) value += Math.abs((a as { value: number }).value - (s as { value: number }).value);
    else if ('label' in a && 'label' in s && a.label === s.label) value += 1;
  });
  return { field: regression ? 'abs_diff' : 'agreed', rows: answered.length, value };
}
