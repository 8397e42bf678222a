/**
 * node bench/dist/profile-summary.js FILE.cpuprofile [TOP]: where a V8 CPU profile (node --cpu-prof,
 * or BENCH_CPU_PROF_DIR with npm run bench) spent its time, by package and by function, self time only.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** "bullmq", "@tensorflow/tfjs-core", "apps/api", "node:internal", "(idle)"… */
function packageOf({ url, functionName }: ProfileNode['callFrame']): string {
  if (!url) return `(${functionName || 'native'})`.replace('((', '(').replace('))', ')');
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (module) return module[1]!;
  const workspace = /\/((?:apps|packages)\/[^/]+)\//.exec(url);
  if (workspace) return workspace[1]!;
  return url.startsWith('node:') ? url.split('/')[0]! : url;
}

function top(totals: Map<string, number>, count: number, all: number): string[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => `${((us / all) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`);
}

const [path, count = '25'] = process.argv.slice(2);
if (!path) throw new Error('usage: profile-summary FILE.cpuprofile [TOP]');
const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const byPackage = new Map<string, number>();
const byFunction = new Map<string, number>();
let all = 0;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)!.callFrame;
  const us = profile.timeDeltas[i] ?? 0;
  all += us;
  byPackage.set(packageOf(frame), (byPackage.get(packageOf(frame)) ?? 0) + us);
  const name = `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
});
console.log(`${path}: ${(all / 1000).toFixed(0)} ms sampled\n\nby package (self time)`);
console.log(top(byPackage, Number(count), all).join('\n'));
console.log('\nby function (self time)');
console.log(top(byFunction, Number(count), all).join('\n'));
