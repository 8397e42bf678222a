import { Command } from 'commander';
import { aliasTargetFromArgument, describeRoute } from '../alias-target.js';
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
    .description('point an alias (production, staging, …) at a version or split it between versions (3=90,4=10), or delete it with --delete')
    .argument('<name>')
    .argument('<alias>')
    .argument('[versions]', 'a version number, or version=weight pairs: 3=90,4=10')
    .option('--shadow <version>', 'a version that gets a copy of the traffic and answers none')
    .option('--delete', 'delete the alias')
    .action(async (name: string, alias: string, versions: string | undefined, options: { delete?: boolean; shadow?: string }, command: Command) => {
      const { client, output } = contextOf(command);
      if (options.delete) {
        await client.models.alias.delete(name, alias);
        return output.result({ model: name, alias, deleted: true }, () => `${name}: ${alias} deleted`);
      }
      if (versions === undefined) return command.error('give the version the alias points to (or a split such as 3=90,4=10), or --delete', { exitCode: 2 });
      const saved = await client.models.alias.set(name, alias, aliasTargetFromArgument(versions, options.shadow));
      output.result(saved, () => `${name}: ${alias} → ${describeRoute(saved)}`);
    });
  models
    .command('stats')
    .description('an alias’s figures per version: requests, latency, a shadow’s agreement')
    .argument('<name>')
    .argument('<alias>')
    .action(async (name: string, alias: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const stats = await client.models.alias.stats(name, alias);
      output.result(stats, () => {
        const rows = stats.versions.map((v) => [
          v.version,
          v.role,
          v.cached ? `${v.requests} (${v.cached} cached)` : v.requests,
          v.latency_ms ? `${formatNumber(v.latency_ms.p50)} / ${formatNumber(v.latency_ms.p95)}` : '-',
          v.agreement?.same_label_rate !== undefined
            ? `same label ${formatNumber(v.agreement.same_label_rate)}`
            : v.agreement?.mean_absolute_difference !== undefined
              ? `mean abs diff ${formatNumber(v.agreement.mean_absolute_difference)}`
              : '-',
        ]);
        return `${table([['version', 'role', 'requests', 'p50 / p95 ms', 'agreement'], ...rows])}\nshed shadow copies: ${stats.shed}`;
      });
    });
  return models;
}
