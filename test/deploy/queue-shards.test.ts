// The queue-shards components: the committed one is the generator's, and the generator's for any
// other number of shards renders into a build that passes every check, on one Redis or a cluster.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queueShardsComponent } from '../../scripts/queue-shards-component.js';
import { contracts, kubernetesDir, renderDir } from './build.js';
import { checkBuild } from './checks.js';
import { parseEnvFile, type Resource } from './kustomize.js';
import { schemaErrors } from './schemas.js';

const prefix = parseEnvFile(readFileSync(`${kubernetesDir}base/common.env`, 'utf8'), 'base/common.env').QUEUE_PREFIX!;
const root = mkdtempSync(join(tmpdir(), 'queue-shards-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** overlays/production with these components, the generator's for `shards` among them, rendered from a folder of its own. */
function renderWith(shards: number, components: string[]): Resource[] {
  const dir = join(root, `${shards}-${components.join('-')}`);
  mkdirSync(join(dir, 'queue-shards'), { recursive: true });
  writeFileSync(join(dir, 'queue-shards', 'kustomization.yaml'), queueShardsComponent(shards, prefix));
  const path = (component: string) => (component === 'queue-shards' ? './queue-shards' : relative(dir, `${kubernetesDir}components/${component}`));
  writeFileSync(join(dir, 'kustomization.yaml'), `resources: [${relative(dir, `${kubernetesDir}overlays/production`)}]\ncomponents: [${components.map(path).join(', ')}]\n`);
  return renderDir(dir);
}
const triggersOf = (build: Resource[], pool: string) =>
  (build.find((r) => r.kind === 'ScaledObject' && r.metadata.name === `trainyard-worker-${pool}`)!.spec as { triggers: { type: string }[] }).triggers;

describe('the queue-shards component', () => {
  it('components/queue-shards-3 is what `npm run keda-shards -- 3` writes', () => {
    expect(readFileSync(`${kubernetesDir}components/queue-shards-3/kustomization.yaml`, 'utf8')).toBe(queueShardsComponent(3, prefix));
  });

  it.each([
    [2, ['queue-shards']],
    [5, ['queue-shards']],
    [5, ['redis-cluster', 'queue-shards']],
  ])('for %i shards with %j renders a build that passes every check', (shards, components) => {
    const build = renderWith(shards, components);
    expect(build.flatMap(schemaErrors)).toEqual([]);
    expect(checkBuild(build, contracts)).toEqual([]);
    for (const pool of ['train', 'predict']) expect(triggersOf(build, pool)).toHaveLength(3 * shards);
    const types = [...new Set(['train', 'predict', 'notify'].flatMap((pool) => triggersOf(build, pool).map((t) => t.type)))];
    expect(types).toEqual([components.includes('redis-cluster') ? 'redis-cluster' : 'redis']);
  });

  it('before components/redis-cluster, leaves the shards’ triggers plain redis, which the checks report', () => {
    const errors = checkBuild(renderWith(3, ['queue-shards', 'redis-cluster']), contracts);
    expect(errors).toEqual([
      'ScaledObject/trainyard-worker-train: its triggers mix the types redis-cluster and redis',
      'ScaledObject/trainyard-worker-predict: its triggers mix the types redis-cluster and redis',
    ]);
  });

  it('takes only the numbers of shards QUEUE_SHARDS allows, above 1', () => {
    for (const shards of [1, 65, 2.5, Number.NaN]) expect(() => queueShardsComponent(shards, prefix)).toThrow(/is not a whole number from 2 to 64/);
  });
});
