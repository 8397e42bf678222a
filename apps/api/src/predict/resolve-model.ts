import type { ModelRegistry, ModelVersion } from '@trainyard/shared/models';
import { NotFoundError } from '@trainyard/shared/platform';

/** The version a request names (a number, an alias, latest or nothing), or a 404 naming what was asked for. */
export async function resolveModel(registry: ModelRegistry, model: string, version: number | string | undefined): Promise<ModelVersion> {
  const found = await registry.resolve(model, version);
  if (found) return found;
  const which = version === undefined ? '' : ` version ${version}`;
  throw new NotFoundError(`no model "${model}"${which}; train it first`);
}
