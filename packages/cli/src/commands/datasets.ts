import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { contextOf } from '../context.js';
import { formatBytes, table } from '../output.js';
import { uploadProgress } from '../progress.js';

export function datasetsCommand(): Command {
  const datasets = new Command('datasets').description('upload, list, describe and delete datasets');
  datasets
    .command('ls')
    .description('list the stored datasets')
    .action(async (_options, command: Command) => {
      const { client, output } = contextOf(command);
      const all = await client.datasets.list();
      output.result(all, () =>
        table([['name', 'rows', 'columns', 'size', 'built-in'], ...all.map((d) => [d.name, d.rows, d.columns.length, formatBytes(d.bytes), d.builtin ? 'yes' : ''])]),
      );
    });
  datasets
    .command('show')
    .description('describe a dataset and its columns')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const dataset = await client.datasets.get(name);
      output.result(dataset, () => {
        const facts = `${dataset.name}: ${dataset.rows} rows, ${formatBytes(dataset.bytes)}${dataset.target ? `, target ${dataset.target}` : ''}`;
        return `${facts}\n\n${table([['column', 'type'], ...dataset.columns.map((column) => [column.name, column.type])])}`;
      });
    });
  datasets
    .command('put')
    .description('upload a CSV (header row first) or a JSON file of rows, with a progress bar')
    .argument('<name>')
    .argument('<file>')
    .action(async (name: string, file: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const { size } = await stat(file);
      const progress = uploadProgress(size, output);
      const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
      const contentType = extname(file).toLowerCase() === '.json' ? 'application/json' : 'text/csv';
      const dataset = await client.datasets.put(name, body, { contentType, size, onProgress: progress.update }).finally(progress.stop);
      output.result(dataset, () => `${dataset.name}: ${dataset.rows} rows, ${dataset.columns.length} columns stored`);
    });
  datasets
    .command('rm')
    .description('delete a dataset')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      await client.datasets.delete(name);
      output.result({ deleted: name }, () => `${name} deleted`);
    });
  return datasets;
}
