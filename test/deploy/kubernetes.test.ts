import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { shardPrefix } from '@trainyard/shared/platform';
import { apiNodeFlags } from '../../scripts/processes.js';
import { readRepoFile } from '../compose/compose-file.js';
import { render, contracts, kubernetesDir, overlays, type Overlay } from './build.js';
import { admittedBy, checkBuild, workloads } from './checks.js';
import { parseEnvFile, podTemplateOf, type Resource } from './kustomize.js';
import { schemaErrors } from './schemas.js';

const find = (resources: Resource[], kind: string, name: string): any => {
  const found = resources.find((r) => r.kind === kind && r.metadata.name === name);
  if (!found) throw new Error(`no ${kind}/${name}`);
  return found;
};
const container = (resources: Resource[], deployment: string): any => podTemplateOf(find(resources, 'Deployment', deployment))!.spec.containers[0];
const configMap = (resources: Resource[], name: string): any => resources.find((r) => r.kind === 'ConfigMap' && r.metadata.name.startsWith(`${name}-`))!;

describe.each(overlays)('overlays/%s', (overlay) => {
  const build = render(overlay);

  it('is valid against the Kubernetes and KEDA schemas, with no unknown field', () => {
    expect(build.length).toBeGreaterThan(15);
    expect(build.flatMap(schemaErrors)).toEqual([]);
  });

  it('passes every cross-reference check', () => {
    expect(checkBuild(build, contracts)).toEqual([]);
  });

  it('runs the API, every worker pool and their autoscalers', () => {
    const names = (kind: string) => build.filter((r) => r.kind === kind).map((r) => r.metadata.name).sort();
    expect(names('Deployment')).toEqual(['trainyard-api', 'trainyard-worker-notify', 'trainyard-worker-predict', 'trainyard-worker-train']);
    expect(names('HorizontalPodAutoscaler')).toEqual(['trainyard-api']);
    expect(names('ScaledObject')).toEqual(['trainyard-worker-notify', 'trainyard-worker-predict', 'trainyard-worker-train']);
    expect(names('PodDisruptionBudget')).toEqual(expect.arrayContaining(names('Deployment')));
  });

  it('exposes nothing outside the cluster', () => {
    for (const service of build.filter((r) => r.kind === 'Service')) expect((service.spec as any).type ?? 'ClusterIP', service.metadata.name).toBe('ClusterIP');
  });
});

describe('overlays/dev', () => {
  const build = render('dev');

  it('lets only the API, the workers and KEDA reach Redis', () => {
    const policy = find(build, 'NetworkPolicy', 'redis');
    expect(admittedBy(policy, build).sort()).toEqual([
      'Deployment/trainyard-api',
      'Deployment/trainyard-worker-notify',
      'Deployment/trainyard-worker-predict',
      'Deployment/trainyard-worker-train',
    ]);
    const otherNamespaces = policy.spec.ingress.flatMap((rule: any) => rule.from).filter((peer: any) => peer.namespaceSelector);
    expect(otherNamespaces).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'keda' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'keda-operator' } } },
    ]);
  });

  it('keeps tasks in a Redis that persists and never evicts', () => {
    const redis = podTemplateOf(find(build, 'StatefulSet', 'redis'))!.spec.containers[0]!;
    expect((redis.args as string[]).join(' ')).toMatch(/--appendonly yes .*--maxmemory-policy noeviction .*--requirepass \$\(REDIS_PASSWORD\)/);
  });
});

describe('overlays/production', () => {
  it('runs pinned images from a registry', () => {
    const build = render('production');
    for (const name of ['trainyard-api', 'trainyard-worker-train']) expect(container(build, name).image).toMatch(/^[\w.-]+\/trainyard\/\w+:\d+\.\d+\.\d+$/);
  });

  it('reaches Redis over TLS, and a Redis Cluster with the cluster trigger', () => {
    const keda = (overlay: Overlay) => find(render(overlay), 'ConfigMap', 'trainyard-keda').data;
    expect(keda('production').REDIS_TLS).toBe('enable');
    expect(keda('production-cluster').REDIS_ADDRESS.split(',').length).toBeGreaterThan(1);
    const types = (overlay: Overlay) => find(render(overlay), 'ScaledObject', 'trainyard-worker-predict').spec.triggers.map((t: any) => t.type);
    expect(types('production')).toEqual(['redis', 'redis', 'redis']);
    expect([...new Set(types('production-cluster'))]).toEqual(['redis-cluster']);
  });
});

describe('overlays/production-cluster', () => {
  const build = render('production-cluster');
  const common = configMap(build, 'trainyard-common').data;
  const scaledObject = (pool: string) => find(build, 'ScaledObject', `trainyard-worker-${pool}`).spec;

  it('runs three queue shards, and scales the train and predict pools on every key of each', () => {
    expect(common.QUEUE_SHARDS).toBe('3');
    for (const pool of ['train', 'predict']) {
      const { triggers, advanced } = scaledObject(pool);
      const expected = [0, 1, 2].flatMap((shard) => {
        const [prefix, suffix] = [shardPrefix(common.QUEUE_PREFIX, shard), shard ? `_s${shard}` : ''];
        return [[`waiting${suffix}`, `${prefix}:${pool}:wait`], [`prioritized${suffix}`, `${prefix}:${pool}:prioritized`], [`active${suffix}`, `${prefix}:${pool}:active`]];
      });
      expect(triggers.map((t: any) => [t.name, t.metadata.listName]), pool).toEqual(expected);
      // The formula adds every trigger up, each exactly once.
      expect(advanced.scalingModifiers.formula.split(' + ').sort(), pool).toEqual(triggers.map((t: any) => t.name).sort());
    }
    expect(scaledObject('notify').triggers).toHaveLength(3);
  });

  it('fails its checks when a shard trigger is off its shard’s prefix', () => {
    const broken = structuredClone(build);
    const trigger = find(broken, 'ScaledObject', 'trainyard-worker-predict').spec.triggers.find((t: any) => t.name === 'waiting_s2');
    trigger.metadata.listName = trigger.metadata.listName.replace(/:(\d+)\}/, (_: string, salt: string) => `:${Number(salt) + 1}}`);
    expect(checkBuild(broken, contracts)).toEqual([
      `ScaledObject/trainyard-worker-predict: ${trigger.metadata.listName} is no BullMQ key of the queues predict under {trainyard} in shards 0, 1, 2`,
      `ScaledObject/trainyard-worker-predict: no trigger on ${shardPrefix('{trainyard}', 2)}:predict:wait, where predict's runnable jobs wait`,
    ]);
  });
});

describe('the secrets', () => {
  const examples = ['dev', 'production'].map((overlay) => `${kubernetesDir}overlays/${overlay}/secrets.env.example`);

  it('are committed as examples without a value', () => {
    for (const example of examples) {
      const values = parseEnvFile(readFileSync(example, 'utf8'), example);
      expect(Object.keys(values).length, example).toBeGreaterThan(5);
      expect(Object.entries(values).filter(([, value]) => value !== ''), example).toEqual([]);
    }
  });

  it('list exactly the keys the manifests read', () => {
    for (const overlay of ['dev', 'production'] as const) {
      const build = render(overlay);
      const fromPods = workloads(build).flatMap((w) => w.pod.containers.flatMap((c) => (c.env ?? []).flatMap((e) => e.valueFrom?.secretKeyRef?.key ?? [])));
      const fromKeda = find(build, 'TriggerAuthentication', 'trainyard-redis').spec.secretTargetRef.map((ref: { key: string }) => ref.key);
      const keys = Object.keys(find(build, 'Secret', 'trainyard-secrets').data);
      expect(keys.sort(), overlay).toEqual([...new Set([...fromPods, ...fromKeda])].sort());
    }
  });

  it('never get committed themselves', () => {
    for (const example of examples) {
      const path = example.replace(/\.example$/, '');
      expect(() => execFileSync('git', ['check-ignore', '-q', path], { cwd: kubernetesDir })).not.toThrow();
    }
  });
});

it('the API image starts node with the heap flags of `npm run api`', () => {
  const cmd = readRepoFile('apps/api/Dockerfile').match(/^CMD (\[.*\])$/m)![1]!;
  expect(JSON.parse(cmd)).toEqual(['node', ...apiNodeFlags, 'apps/api/dist/main.js']);
});

describe('the checks catch', () => {
  const dev = render('dev');
  /** A copy of the dev build with one thing broken. */
  const broken = (change: (build: Resource[]) => void): Resource[] => {
    const copy = structuredClone(dev);
    change(copy);
    return copy;
  };
  const worker = (build: Resource[], pool = 'train') => container(build, `trainyard-worker-${pool}`);
  const api = (build: Resource[]) => container(build, 'trainyard-api');
  const scaled = (build: Resource[], pool = 'train') => find(build, 'ScaledObject', `trainyard-worker-${pool}`).spec;

  const cases: [string, (build: Resource[]) => void, RegExp][] = [
    ['a Service that selects no pod', (b) => (find(b, 'Service', 'trainyard-api').spec.selector['app.kubernetes.io/component'] = 'apí'), /Service\/trainyard-api: selector .* matches no pod template/],
    ['a Service that selects two workloads', (b) => (find(b, 'Service', 'trainyard-api').spec.selector = { 'app.kubernetes.io/name': 'trainyard' }), /Service\/trainyard-api: selector matches the pods of Deployment\/trainyard-api, /],
    ['a PodDisruptionBudget that selects no pod', (b) => (find(b, 'PodDisruptionBudget', 'trainyard-worker-train').spec.selector.matchLabels['trainyard/pool'] = 'training'), /PodDisruptionBudget\/trainyard-worker-train: selector .* matches no pod template/],
    ['a NetworkPolicy peer that selects no pod', (b) => (find(b, 'NetworkPolicy', 'redis').spec.ingress[0].from[1].podSelector.matchLabels['app.kubernetes.io/component'] = 'workers'), /NetworkPolicy\/redis ingress: selector .* matches no pod template/],
    ['a Deployment whose selector misses its pods', (b) => (find(b, 'Deployment', 'trainyard-api').spec.selector.matchLabels['app.kubernetes.io/component'] = 'web'), /Deployment\/trainyard-api: selector .* does not match its own pods/],
    ['a selector with matchExpressions', (b) => (find(b, 'PodDisruptionBudget', 'trainyard-api').spec.selector = { matchExpressions: [] }), /PodDisruptionBudget\/trainyard-api: matchExpressions are not checked/],
    ['an HPA without its Deployment', (b) => (find(b, 'HorizontalPodAutoscaler', 'trainyard-api').spec.scaleTargetRef.name = 'api'), /HorizontalPodAutoscaler\/trainyard-api: scale target Deployment\/api does not exist/],
    ['a ScaledObject without its Deployment', (b) => (scaled(b).scaleTargetRef.name = 'trainer'), /ScaledObject\/trainyard-worker-train: scale target Deployment\/trainer does not exist/],
    ['a Deployment scaled twice', (b) => (scaled(b, 'predict').scaleTargetRef.name = 'trainyard-worker-train'), /trainyard-worker-train is scaled by ScaledObject\/trainyard-worker-train already/],
    ['a trigger without its TriggerAuthentication', (b) => (scaled(b).triggers[0].authenticationRef.name = 'redis'), /trigger waiting: authentication redis does not exist/],
    ['a secretKeyRef to a missing key', (b) => (worker(b).env.find((e: any) => e.name === 'REDIS_URL').valueFrom.secretKeyRef.key = 'REDIS_URI'), /REDIS_URL: Secret trainyard-secrets has no key REDIS_URI/],
    ['an envFrom to a missing ConfigMap', (b) => (api(b).envFrom[1].configMapRef.name = 'trainyard-api'), /container api: ConfigMap trainyard-api does not exist/],
    ['a TriggerAuthentication key the Secret lacks', (b) => (find(b, 'TriggerAuthentication', 'trainyard-redis').spec.secretTargetRef[0].key = 'PASSWORD'), /TriggerAuthentication\/trainyard-redis password: Secret trainyard-secrets has no key PASSWORD/],
    ['a variable the app does not read', (b) => worker(b).env.push({ name: 'WORKER_CONCURRENCY', value: '4' }), /trainyard-worker-train container worker: sets WORKER_CONCURRENCY, which the worker does not read/],
    ['an API-only variable on a worker', (b) => worker(b, 'notify').env.push({ name: 'BODY_LIMIT', value: '1mb' }), /sets BODY_LIMIT, which the worker does not read/],
    ['a value the app refuses', (b) => (worker(b).env.find((e: any) => e.name === 'WORKER_QUEUES').value = 'training'), /trainyard-worker-train container worker: the worker refuses its configuration: .*WORKER_QUEUES/s],
    ['a readiness probe on a path the API does not serve', (b) => (api(b).readinessProbe.httpGet.path = '/readyz'), /readinessProbe asks for \/readyz, which the API does not serve/],
    ['liveness and readiness swapped', (b) => ([api(b).readinessProbe, api(b).livenessProbe] = [api(b).livenessProbe, api(b).readinessProbe]), /readinessProbe asks for \/health instead of \/ready/],
    ['a probe on another port than PORT', (b) => (configMap(b, 'trainyard-api').data.PORT = '8080'), /readinessProbe asks port http, the API listens on 8080/],
    ['a command that drops the node flags', (b) => (api(b).command = ['node', 'apps/api/dist/main.js']), /command\/args replace the image's CMD and its node flags/],
    ['a memory limit below the heap', (b) => (api(b).resources.limits.memory = '128Mi'), /memory limit 128 Mi is not above the heap the node flags allow \(152 Mi\)/],
    ['a grace period within SHUTDOWN_TIMEOUT_S', (b) => (podTemplateOf(find(b, 'Deployment', 'trainyard-worker-train'))!.spec.terminationGracePeriodSeconds = 300), /trainyard-worker-train: terminationGracePeriodSeconds 300 is not above SHUTDOWN_TIMEOUT_S 300/],
    ['the default grace period with the default timeout', (b) => delete podTemplateOf(find(b, 'Deployment', 'trainyard-worker-notify'))!.spec.terminationGracePeriodSeconds, /terminationGracePeriodSeconds 30 is not above SHUTDOWN_TIMEOUT_S 30/],
    ['a prefix without the hash tag the triggers use', (b) => (configMap(b, 'trainyard-common').data.QUEUE_PREFIX = 'trainyard'), /\{trainyard\}:train:wait is no BullMQ key of the queues train under trainyard/],
    ['a trigger on another queue', (b) => (scaled(b, 'predict').triggers[0].metadata.listName = '{trainyard}:train:wait'), /trainyard-worker-predict: \{trainyard\}:train:wait is no BullMQ key of the queues predict under \{trainyard\}/],
    ['no trigger on prioritized jobs', (b) => scaled(b).triggers.splice(1, 1), /no trigger on \{trainyard\}:train:prioritized/],
    ['a trigger left out of the formula', (b) => (scaled(b).advanced.scalingModifiers.formula = 'waiting + prioritized'), /the trigger on \{trainyard\}:train:active is left out of the formula/],
    ['a trigger counted twice', (b) => (scaled(b).advanced.scalingModifiers.formula = 'waiting + prioritized + active + waiting'), /trainyard-worker-train: the formula counts waiting more than once/],
    ['sharded queues without their shards’ triggers', (b) => (configMap(b, 'trainyard-common').data.QUEUE_SHARDS = '3'), /trainyard-worker-predict: no trigger on \{trainyard:s2:770\}:predict:prioritized/],
    ['triggers of both Redis types', (b) => (scaled(b).triggers[2].type = 'redis-cluster'), /trainyard-worker-train: its triggers mix the types redis and redis-cluster/],
    ['a bare Service name for KEDA', (b) => (find(b, 'ConfigMap', 'trainyard-keda').data.REDIS_ADDRESS = 'redis:6379'), /KEDA's operator resolves a bare name in its own namespace/],
    ['a KEDA address on a port Redis does not serve', (b) => (find(b, 'ConfigMap', 'trainyard-keda').data.REDIS_ADDRESS = 'redis.trainyard-dev.svc:6380'), /Service redis has no port 6380/],
    ['a root container', (b) => delete (podTemplateOf(find(b, 'StatefulSet', 'redis'))!.spec.securityContext as { runAsUser?: number }).runAsUser, /StatefulSet\/redis container redis: must run as a numeric non-root user/],
    ['a writable root filesystem', (b) => (worker(b).securityContext.readOnlyRootFilesystem = false), /trainyard-worker-train container worker: root filesystem is writable/],
    ['a container without limits', (b) => delete worker(b, 'predict').resources.limits, /trainyard-worker-predict container worker: no cpu request and limit/],
    ['a PodDisruptionBudget that blocks drains', (b) => {
      const { spec } = find(b, 'PodDisruptionBudget', 'trainyard-worker-train');
      delete spec.maxUnavailable;
      spec.minAvailable = 1;
    }, /minAvailable 1 blocks every node drain while Deployment\/trainyard-worker-train runs 1/],
    ['a password in a ConfigMap', (b) => (configMap(b, 'trainyard-common').data.CACHE_REDIS_URL = 'redis://:hunter2@cache:6379'), /ConfigMap\/trainyard-common-\w+: CACHE_REDIS_URL holds a URL with a password/],
  ];

  it.each(cases)('%s', (_, change, expected) => {
    expect(checkBuild(dev, contracts)).toEqual([]);
    expect(checkBuild(broken(change), contracts).join('\n')).toMatch(expected);
  });

  it('a misspelt field, a misplaced one and a wrong type', () => {
    const build = broken((b) => {
      api(b).readinesProbe = api(b).readinessProbe;
      podTemplateOf(find(b, 'Deployment', 'trainyard-api'))!.spec.livenessProbe = {};
      scaled(b).minReplicaCount = 'one';
    });
    expect(build.flatMap(schemaErrors)).toEqual([
      'Deployment/trainyard-api: spec.template.spec.containers[0].readinesProbe is not a field of Deployment',
      'Deployment/trainyard-api: spec.template.spec.livenessProbe is not a field of Deployment',
      'ScaledObject/trainyard-worker-train: data/spec/minReplicaCount must be integer',
    ]);
  });

  it('an API version Kubernetes no longer serves, and a kind without a schema', () => {
    expect(schemaErrors({ ...find(dev, 'Deployment', 'trainyard-api'), apiVersion: 'extensions/v1beta1' })).toEqual([
      'Deployment/trainyard-api: extensions/v1beta1 is no longer served by Kubernetes',
    ]);
    expect(schemaErrors({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledQueue', metadata: { name: 'q' } })).toEqual(['ScaledQueue/q: no schema for keda.sh/v1alpha1 ScaledQueue']);
  });
});
