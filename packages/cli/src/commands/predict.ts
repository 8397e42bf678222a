import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { PredictRequest, PredictResult } from '@trainyard/client';
import { contextOf, failIfUnsuccessful } from '../context.js';
import { formatNumber, table } from '../output.js';
import { rowFromArgument, rowsFromCsv, UsageError, type InputRow } from '../rows.js';

export function predictCommand(): Command {
  return new Command('predict')
    .description('predict with a model: rows as arguments (5.1,3.5,1.4,0.2) or from a CSV file')
    .argument('<model>', 'the model name')
    .argument('[rows...]', 'rows of comma-separated values in feature order (texts with --text)')
    .option('-f, --file <rows.csv>', 'rows from a CSV file; a header row names the features')
    .option('-v, --version <version>', 'a version number or alias (default: latest)')
    .option('--text', 'the inputs are texts, for a text model')
    .option('--no-cache', 'run the model even when the answers are cached')
    .action(async (model: string, args: string[], options, command: Command) => {
      const { client, output } = contextOf(command);
      const texts = options.text === true;
      const inputs: InputRow[] = args.map((arg) => rowFromArgument(arg, texts));
      if (options.file) inputs.push(...rowsFromCsv(await readFile(options.file, 'utf8'), texts));
      if (!inputs.length) throw new UsageError('give rows as arguments or --file rows.csv');
      const version = options.version === undefined ? {} : { version: /^\d+$/.test(options.version) ? Number(options.version) : options.version };
      const request = { model, inputs, ...version, ...(options.cache === false ? { cache: false } : {}) } as PredictRequest;
      const task = failIfUnsuccessful(await client.waitFor(await client.predict(request)), output);
      output.result(task, () => (task.status === 'SUCCESS' ? predictionTable(task.result as PredictResult) : `${task.task_id} ${task.status}`));
    });
}

function predictionTable(result: PredictResult): string {
  const heading = `${result.model} v${result.version}`;
  if ('embeddings' in result) return `${heading}\n${result.embeddings.map((vector) => vector.map(formatNumber).join(',')).join('\n')}`;
  const rows = result.predictions.map((prediction, row) =>
    'value' in prediction
      ? [row, formatNumber(prediction.value)]
      : [row, prediction.label, formatNumber(prediction.probabilities[String(prediction.label)] ?? 0)],
  );
  const header = result.predictions.some((prediction) => 'value' in prediction) ? ['row', 'value'] : ['row', 'label', 'probability'];
  return `${heading}\n${table([header, ...rows])}`;
}
