import { Command, Option } from 'commander';
import type { TrainRequest, TrainResult } from '@trainyard/client';
import { contextOf, watchTask } from '../context.js';
import { formatNumber, table } from '../output.js';
import { UsageError } from '../rows.js';

/** `key=value`: the value as JSON when it parses (numbers, arrays), else as a string. */
function param(entry: string, params: Record<string, unknown> = {}): Record<string, unknown> {
  const at = entry.indexOf('=');
  if (at < 1) throw new UsageError(`--param takes key=value, not "${entry}"`);
  const raw = entry.slice(at + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // A plain string such as relu.
  }
  return { ...params, [entry.slice(0, at)]: value };
}

export function trainCommand(): Command {
  return new Command('train')
    .description('train a model on a stored dataset')
    .argument('<model>', 'the model name; each training makes a new version')
    .addOption(new Option('-a, --algorithm <algorithm>', 'the algorithm').choices(['linear-regression', 'logistic-regression', 'mlp', 'text-classifier']).makeOptionMandatory())
    .requiredOption('-d, --dataset <name>', 'a stored dataset (trainyard datasets ls)')
    .requiredOption('-t, --target <column>', 'the column to predict')
    .option('--text <column>', 'the text column (text-classifier)')
    .option('-p, --param <key=value>', 'a hyper-parameter, e.g. epochs=200 (repeatable)', param)
    .option('--priority <n>', '1 (most urgent) … 100', Number)
    .option('-w, --watch', 'follow the training with a progress bar and print its metrics')
    .action(async (model: string, options, command: Command) => {
      const context = contextOf(command);
      const { client, output } = context;
      const dataset = options.text ? { name: options.dataset, text: options.text, target: options.target } : { name: options.dataset, target: options.target };
      const request = {
        model,
        algorithm: options.algorithm,
        dataset,
        ...(options.param ? { params: options.param } : {}),
        ...(options.priority ? { priority: options.priority } : {}),
      } as TrainRequest;
      const submitted = await client.train(request);
      if (!options.watch) return output.result(submitted, () => submitted.task_id);
      const task = await watchTask(context, submitted);
      output.result(task, () => (task.status === 'SUCCESS' ? trainedSummary(task.result as TrainResult) : `${task.task_id} ${task.status}`));
    });
}

/** The trained version and its metrics table. */
export function trainedSummary(result: TrainResult): string {
  const heading = `${result.model} v${result.version} trained in ${(result.duration_ms / 1000).toFixed(1)} s (${result.algorithm})`;
  const rows = Object.entries(result.metrics).map(([name, value]) => [name, formatNumber(value)]);
  return `${heading}\n\n${table([['metric', 'value'], ...rows])}`;
}
