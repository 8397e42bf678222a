// `npm run worker [-- --replicas N]`: N independent worker processes, the way they scale without Docker.
import { parseArgs } from 'node:util';
import { metricsPort, startNode, superviseChildren } from './processes.js';

const { values } = parseArgs({ options: { replicas: { type: 'string', short: 'n', default: '1' } } });
const replicas = Number(values.replicas);
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 64) {
  console.error('--replicas takes a whole number from 1 to 64');
  process.exit(2);
}
superviseChildren(Array.from({ length: replicas }, (_, i) => startNode('apps/worker/dist/main.js', metricsPort(i))));
