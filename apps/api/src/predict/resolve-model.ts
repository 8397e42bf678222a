import type { ModelRegistry, ModelVersion, RoutedVersion } from '@trainyard/shared/models';
import { NotFoundError } from '@trainyard/shared/platform';

const missing = (model: string, version: number | string | undefined) =>
  new NotFoundError(`no model "${model}"${version === undefined ? '' : ` version ${version}`}; train it first`);

/** The version a request names (a number, an alias or latest or nothing), or a 404 naming what was asked for. */
export async function resolveModel(registry: ModelRegistry, model: string, version: number | string | undefined): Promise<ModelVersion> {
  const found = await registry.resolve(model, version);
  if (found) return found;
  throw missing(model, version);
}

/** Like resolveModel, but an alias that splits traffic picks one of its versions (sticky per routing key) and names its shadow. */
export async function routeModel(registry: ModelRegistry, model: string, version: number | string | undefined, routingKey?: string): Promise<RoutedVersion> {
  const found = await registry.route(model, version, routingKey);
  if (found) return found;
  throw missing(model, version);
}
