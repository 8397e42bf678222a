// `npm run keda-shards -- N`: writes deploy/kubernetes/components/queue-shards-N, the component that
// runs the queues in N shards and scales the pools on every shard's keys, for base's QUEUE_PREFIX.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { queueShardsComponent } from './queue-shards-component.js';

const kubernetes = new URL('../deploy/kubernetes/', import.meta.url);
const shards = Number(process.argv[2]);
const prefix = /^QUEUE_PREFIX=(.*)$/m.exec(readFileSync(new URL('base/common.env', kubernetes), 'utf8'))?.[1];
if (!prefix) throw new Error('deploy/kubernetes/base/common.env sets no QUEUE_PREFIX');

let text;
try {
  text = queueShardsComponent(shards, prefix);
} catch (error) {
  console.error(`${error.message}\nusage: npm run keda-shards -- N`);
  process.exit(2);
}
const file = new URL(`components/queue-shards-${shards}/kustomization.yaml`, kubernetes);
mkdirSync(new URL('.', file), { recursive: true });
writeFileSync(file, text);
console.log(`wrote ${relative(process.cwd(), file.pathname)}: add it to an overlay's components (after ../../components/redis-cluster on a cluster)`);
