// The overlays of deploy/kubernetes, rendered offline, and what they must agree with in the apps.
import { readFileSync } from 'node:fs';
import { apiEnv, loadConfig as loadApiConfig } from '../../apps/api/dist/config.js';
import { healthRouter } from '../../apps/api/dist/health/router.js';
import { loadConfig as loadWorkerConfig, workerEnv } from '../../apps/worker/dist/config.js';
import { apiNodeFlags } from '../../scripts/processes.js';
import type { Contracts } from './checks.js';
import { kustomize, type Resource } from './kustomize.js';
import { repoRoot } from '../compose/compose-file.js';

export const kubernetesDir = new URL('deploy/kubernetes/', repoRoot).pathname;
export const overlays = ['dev', 'production', 'production-cluster'] as const;
export type Overlay = (typeof overlays)[number];

/** An overlay as `kubectl kustomize` renders it. */
export const render = (overlay: Overlay): Resource[] => renderDir(`${kubernetesDir}overlays/${overlay}`);

/**
 * The kustomization in `dir`, which may build on the overlays. An overlay's secrets.env is never
 * committed: the committed secrets.env.example beside it, with the same keys and no values, stands in for it.
 */
export function renderDir(dir: string): Resource[] {
  const readFile = (path: string) => readFileSync(path.endsWith('/secrets.env') ? `${path}.example` : path, 'utf8');
  return kustomize(dir, { readFile });
}

export const contracts: Contracts = {
  api: {
    image: 'trainyard/api',
    reads: new Set(Object.keys(apiEnv.shape)),
    load: loadApiConfig,
    paths: new Set(healthRouter({} as never).stack.flatMap((layer) => (layer.route ? [layer.route.path as string] : []))),
    nodeFlags: apiNodeFlags,
  },
  worker: { image: 'trainyard/worker', reads: new Set(Object.keys(workerEnv.shape)), load: loadWorkerConfig },
};
