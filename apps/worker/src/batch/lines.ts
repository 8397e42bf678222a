import { csvField } from '@trainyard/shared/datasets';
import type { BatchOutputFormat, Prediction } from '@trainyard/shared/jobs';

/**
 * The lines of a batch's output and error file, in its format: CSV (with a header line) or JSON
 * Lines. Every line starts with the row number of the input row it is about.
 */
export class BatchLines {
  constructor(
    private readonly format: BatchOutputFormat,
    /** A classifier's classes in output order; none for a regressor. */
    private readonly classes?: readonly (string | number)[],
  ) {}

  /** The output's first line: nothing for JSON Lines. */
  outputHeader(): string {
    if (this.format === 'jsonl') return '';
    const columns = this.classes ? ['row', 'label', ...this.classes.map((label) => `p_${label}`)] : ['row', 'value'];
    return `${columns.map(csvField).join(',')}\n`;
  }

  errorHeader(): string {
    return this.format === 'jsonl' ? '' : 'row,error\n';
  }

  prediction(row: number, prediction: Prediction): string {
    if (this.format === 'jsonl') return `${JSON.stringify({ row, ...prediction })}\n`;
    if ('value' in prediction) return `${row},${prediction.value}\n`;
    const probabilities = this.classes!.map((label) => prediction.probabilities[String(label)] ?? 0).join(',');
    return `${row},${csvField(prediction.label)},${probabilities}\n`;
  }

  error(row: number, reason: string): string {
    return this.format === 'jsonl' ? `${JSON.stringify({ row, error: reason })}\n` : `${row},${csvField(reason)}\n`;
  }
}
