// The kustomize component that runs the queues in N shards (docs/scaling.md, Sharded queues):
// plain JavaScript, like processes.js, so `npm run keda-shards` runs it and the tests import it.
import { shardPrefix } from '@trainyard/shared/platform';

/** The sharded pools and, in the order of their base ScaledObject's triggers, the BullMQ key each trigger reads. */
const pools = ['train', 'predict'];
const triggers = [
  { name: 'waiting', key: 'wait' },
  { name: 'prioritized', key: 'prioritized' },
  { name: 'active', key: 'active' },
];

/**
 * kustomization.yaml of a Component setting QUEUE_SHARDS=`shards` and giving the train and predict
 * ScaledObjects a trigger per key of shards 1 … shards-1, named `<name>_s<n>`, under
 * shardPrefix(`prefix`, n). Each copies its shard-0 trigger (type, authentication), so on a Redis
 * Cluster the component comes after components/redis-cluster.
 */
export function queueShardsComponent(shards, prefix) {
  if (!Number.isInteger(shards) || shards < 2 || shards > 64) throw new Error(`shards: ${shards} is not a whole number from 2 to 64 (QUEUE_SHARDS)`);
  const quoted = (value) => JSON.stringify(value);
  const names = Array.from({ length: shards }, (_, shard) => shard).flatMap((shard) => triggers.map(({ name }) => (shard ? `${name}_s${shard}` : name)));
  const patches = pools.map((pool) => {
    const ops = [
      // The shard prefixes below derive from `prefix`, the copies from these triggers: fail here if the base's differ.
      ...triggers.map(({ key }, index) => `{ op: test, path: /spec/triggers/${index}/metadata/listName, value: ${quoted(`${prefix}:${pool}:${key}`)} }`),
      `{ op: test, path: /spec/advanced/scalingModifiers/formula, value: ${triggers.map(({ name }) => name).join(' + ')} }`,
      `{ op: replace, path: /spec/advanced/scalingModifiers/formula, value: ${names.join(' + ')} }`,
    ];
    for (let shard = 1; shard < shards; shard++) {
      for (const [index, { name, key }] of triggers.entries()) {
        const at = `/spec/triggers/${shard * triggers.length + index}`;
        ops.push(
          `{ op: copy, from: /spec/triggers/${index}, path: ${at} }`,
          `{ op: replace, path: ${at}/name, value: ${name}_s${shard} }`,
          `{ op: replace, path: ${at}/metadata/listName, value: ${quoted(`${shardPrefix(prefix, shard)}:${pool}:${key}`)} }`,
        );
      }
    }
    return `  - target: { kind: ScaledObject, name: trainyard-worker-${pool} }\n    patch: |-\n${ops.map((op) => `      - ${op}\n`).join('')}`;
  });
  return `# Written by \`npm run keda-shards -- ${shards}\` (scripts/keda-shards.js): regenerate rather than edit.
# QUEUE_SHARDS=${shards} for the API and the workers, and the train and predict pools' KEDA triggers on
# every shard's wait, prioritized and active keys, each under its shard's prefix
# (shardPrefix('${prefix}', n), docs/scaling.md "Sharded queues"); the formula adds them all up.
# The shard triggers copy shard 0's (type, authentication): on a Redis Cluster, list this
# component after components/redis-cluster.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component

configMapGenerator:
  - name: trainyard-common
    behavior: merge
    literals:
      - QUEUE_SHARDS=${shards}

patches:
${patches.join('')}`;
}
