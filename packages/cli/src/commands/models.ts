import { Command } from 'commander';
import { contextOf } from '../context.js';
import { formatNumber, table } from '../output.js';

const aliasList = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .map(([alias, version]) => `${alias}→${version}`)
    .join(', ');

export function modelsCommand(): Command {
  const models = new Command('models').description('the model registry: models, versions and aliases');
  models
    .command('ls')
    .description('list the models')
    .action(async (_options, command: Command) => {
      const { client, output } = contextOf(command);
      const all = await client.models.list();
      output.result(all, () => table([['name', 'latest', 'aliases', 'updated'], ...all.map((m) => [m.name, m.latest_version, aliasList(m.aliases), m.updated_at])]));
    });
  models
    .command('show')
    .description('a model’s versions with their metrics and aliases')
    .argument('<name>')
    .action(async (name: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const model = await client.models.show(name);
      output.result(model, () => {
        const rows = model.versions.map((v) => [
          v.version,
          v.algorithm,
          v.task,
          Object.entries(v.metrics)
            .map(([metric, value]) => `${metric} ${formatNumber(value)}`)
            .join(', '),
          v.aliases.join(', '),
          v.created_at,
        ]);
        return table([['version', 'algorithm', 'task', 'metrics', 'aliases', 'created'], ...rows]);
      });
    });
  models
    .command('alias')
    .description('point an alias (production, staging, …) at a version, or delete it with --delete')
    .argument('<name>')
    .argument('<alias>')
    .argument('[version]', 'the version number', (value) => Number(value))
    .option('--delete', 'delete the alias')
    .action(async (name: string, alias: string, version: number | undefined, options: { delete?: boolean }, command: Command) => {
      const { client, output } = contextOf(command);
      if (options.delete) {
        await client.models.alias.delete(name, alias);
        return output.result({ model: name, alias, deleted: true }, () => `${name}: ${alias} deleted`);
      }
      if (version === undefined || !Number.isInteger(version)) return command.error('give the version the alias points to, or --delete', { exitCode: 2 });
      const saved = await client.models.alias.set(name, alias, version);
      output.result(saved, () => `${name}: ${alias} → v${saved.version}`);
    });
  return models;
}
