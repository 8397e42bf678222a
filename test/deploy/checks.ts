// Cross-reference checks over a rendered build: what no schema can see because it spans objects
// (a selector and the pods it should find, a key and the Secret that should hold it) or spans the
// manifests and the apps (the variables they read, the paths they serve, BullMQ's key names).
// Each check returns "Kind/name: what is wrong" lines; none means the build is consistent.
import { shardedTypes, shardRange } from '@trainyard/shared/jobs';
import { shardPrefix } from '@trainyard/shared/platform';
import { podTemplateOf, type PodSpec, type Resource } from './kustomize.js';

/** What an app's containers must agree with. */
export interface AppContract {
  /** The image repository its containers run, without registry and tag: "trainyard/api". */
  image: string;
  /** The variables its zod env schema reads (the schema's shape). */
  reads: ReadonlySet<string>;
  /** Its own loadConfig: parses an environment as the app does at start, throwing on a bad value. */
  load(env: NodeJS.ProcessEnv): Record<string, unknown>;
}

export interface Contracts {
  api: AppContract & {
    /** Paths the API's health router serves. */
    paths: ReadonlySet<string>;
    /** The V8 flags of the image's CMD (scripts/processes.js apiNodeFlags). */
    nodeFlags: readonly string[];
  };
  worker: AppContract;
}

/** Set on app containers although no app schema names them: the AWS SDK reads its own AWS_*, Node reads NODE_OPTIONS. */
const runtimeVariable = (name: string) => name.startsWith('AWS_') || name === 'NODE_OPTIONS';

type Labels = Record<string, string>;
interface Selector {
  matchLabels?: Labels;
  matchExpressions?: unknown[];
}
type Spec = Record<string, any>;

const id = (r: Resource) => `${r.kind}/${r.metadata.name}`;
const specOf = (r: Resource) => (r.spec ?? {}) as Spec;
const ofKind = (resources: Resource[], kind: string) => resources.filter((r) => r.kind === kind);
const named = (resources: Resource[], kind: string, name: string | undefined, namespace?: string) =>
  resources.find((r) => r.kind === kind && r.metadata.name === name && r.metadata.namespace === namespace);

export interface Workload {
  resource: Resource;
  labels: Labels;
  pod: PodSpec;
}

export function workloads(resources: Resource[]): Workload[] {
  return resources.flatMap((resource) => {
    const template = podTemplateOf(resource);
    return template ? [{ resource, labels: template.metadata?.labels ?? {}, pod: template.spec }] : [];
  });
}

/** Workloads in the namespace whose pods a label selector picks (an equality-based selector only). */
export function selected(selector: Selector | Labels | undefined, namespace: string | undefined, resources: Resource[]): Workload[] {
  const labels = (selector && 'matchLabels' in selector ? selector.matchLabels : selector) as Labels | undefined;
  if (selector && 'matchExpressions' in selector) throw new Error('matchExpressions are not checked; use matchLabels');
  if (!labels || !Object.keys(labels).length) return [];
  return workloads(resources).filter(
    (w) => w.resource.metadata.namespace === namespace && Object.entries(labels).every(([key, value]) => w.labels[key] === value),
  );
}

/** The workloads whose pods a NetworkPolicy lets in, from its own namespace. */
export function admittedBy(policy: Resource, resources: Resource[]): string[] {
  const peers = ((specOf(policy).ingress ?? []) as { from?: { podSelector?: Selector; namespaceSelector?: Selector }[] }[]).flatMap((rule) => rule.from ?? []);
  return peers
    .filter((peer) => peer.podSelector && !peer.namespaceSelector)
    .flatMap((peer) => selected(peer.podSelector, policy.metadata.namespace, resources).map((w) => id(w.resource)));
}

const guard = (where: string, check: () => string[]): string[] => {
  try {
    return check();
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
};

function selectorChecks(resources: Resource[]): string[] {
  const errors: string[] = [];
  const expectPods = (where: string, selector: Selector | Labels | undefined, namespace: string | undefined, exactlyOne = false) =>
    errors.push(
      ...guard(where, () => {
        const found = selected(selector, namespace, resources);
        if (!found.length) return [`${where}: selector ${JSON.stringify(selector)} matches no pod template`];
        if (exactlyOne && found.length > 1) return [`${where}: selector matches the pods of ${found.map((w) => id(w.resource)).join(', ')}`];
        return [];
      }),
    );
  for (const w of workloads(resources)) {
    const spec = specOf(w.resource);
    const own = (where: string, selector: Selector) => {
      const mine = selected(selector, w.resource.metadata.namespace, resources).some((found) => found.resource === w.resource);
      if (!mine) errors.push(`${id(w.resource)}: ${where} ${JSON.stringify(selector)} does not match its own pods`);
    };
    if (spec.selector) own('selector', spec.selector);
    for (const constraint of (w.pod.topologySpreadConstraints ?? []) as { labelSelector: Selector }[]) own('topologySpreadConstraints selector', constraint.labelSelector);
  }
  for (const service of ofKind(resources, 'Service')) expectPods(id(service), specOf(service).selector, service.metadata.namespace, true);
  for (const budget of ofKind(resources, 'PodDisruptionBudget')) expectPods(id(budget), specOf(budget).selector, budget.metadata.namespace);
  for (const policy of ofKind(resources, 'NetworkPolicy')) {
    expectPods(id(policy), specOf(policy).podSelector, policy.metadata.namespace);
    for (const rule of specOf(policy).ingress ?? []) {
      for (const peer of rule.from ?? []) {
        if (peer.podSelector && !peer.namespaceSelector) expectPods(`${id(policy)} ingress`, peer.podSelector, policy.metadata.namespace);
      }
    }
  }
  return errors;
}

function scaleTargetChecks(resources: Resource[]): string[] {
  const errors: string[] = [];
  const scaled = new Map<string, string>();
  const target = (scaler: Resource, ref: { kind?: string; name?: string }) => {
    const kind = ref.kind ?? 'Deployment';
    const found = named(resources, kind, ref.name, scaler.metadata.namespace);
    if (!found) return errors.push(`${id(scaler)}: scale target ${kind}/${ref.name} does not exist`);
    const other = scaled.get(id(found));
    if (other) errors.push(`${id(scaler)}: ${id(found)} is scaled by ${other} already`);
    scaled.set(id(found), id(scaler));
  };
  for (const hpa of ofKind(resources, 'HorizontalPodAutoscaler')) target(hpa, specOf(hpa).scaleTargetRef);
  for (const scaledObject of ofKind(resources, 'ScaledObject')) {
    target(scaledObject, specOf(scaledObject).scaleTargetRef);
    for (const trigger of specOf(scaledObject).triggers ?? []) {
      const ref = trigger.authenticationRef;
      if (ref && !named(resources, ref.kind ?? 'TriggerAuthentication', ref.name, scaledObject.metadata.namespace)) {
        errors.push(`${id(scaledObject)}: trigger ${trigger.name ?? trigger.type}: authentication ${ref.name} does not exist`);
      }
    }
  }
  return errors;
}

function dataOf(resource: Resource | undefined): Record<string, string> | undefined {
  if (!resource) return undefined;
  const data = (resource.data ?? {}) as Record<string, string>;
  return resource.kind === 'Secret' ? Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()])) : data;
}

function referenceChecks(resources: Resource[]): string[] {
  const errors: string[] = [];
  const expect = (where: string, kind: 'ConfigMap' | 'Secret', name: string | undefined, namespace: string | undefined, key?: string) => {
    const data = dataOf(named(resources, kind, name, namespace));
    if (!data) errors.push(`${where}: ${kind} ${name} does not exist`);
    else if (key !== undefined && !(key in data)) errors.push(`${where}: ${kind} ${name} has no key ${key}`);
  };
  for (const w of workloads(resources)) {
    const namespace = w.resource.metadata.namespace;
    for (const container of [...w.pod.containers, ...(w.pod.initContainers ?? [])]) {
      const where = `${id(w.resource)} container ${container.name}`;
      for (const from of container.envFrom ?? []) {
        if (from.configMapRef) expect(where, 'ConfigMap', from.configMapRef.name, namespace);
        if (from.secretRef) expect(where, 'Secret', from.secretRef.name, namespace);
      }
      for (const env of container.env ?? []) {
        const { configMapKeyRef: configMap, secretKeyRef: secret } = env.valueFrom ?? {};
        if (configMap) expect(`${where} ${env.name}`, 'ConfigMap', configMap.name, namespace, configMap.key);
        if (secret) expect(`${where} ${env.name}`, 'Secret', secret.name, namespace, secret.key);
      }
    }
    for (const volume of w.pod.volumes ?? []) {
      if (volume.configMap) expect(`${id(w.resource)} volume ${volume.name}`, 'ConfigMap', volume.configMap.name, namespace);
      if (volume.secret) expect(`${id(w.resource)} volume ${volume.name}`, 'Secret', volume.secret.secretName, namespace);
    }
  }
  for (const auth of ofKind(resources, 'TriggerAuthentication')) {
    for (const ref of specOf(auth).secretTargetRef ?? []) expect(`${id(auth)} ${ref.parameter}`, 'Secret', ref.name, auth.metadata.namespace, ref.key);
    for (const ref of specOf(auth).configMapTargetRef ?? []) expect(`${id(auth)} ${ref.parameter}`, 'ConfigMap', ref.name, auth.metadata.namespace, ref.key);
  }
  return errors;
}

/** The environment a container starts with: envFrom first, env over it. */
export function environmentOf(container: PodSpec['containers'][number], namespace: string | undefined, resources: Resource[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ? named(resources, 'ConfigMap', from.configMapRef.name, namespace) : named(resources, 'Secret', from.secretRef?.name, namespace);
    Object.assign(env, dataOf(ref));
  }
  for (const variable of container.env ?? []) {
    const { configMapKeyRef: configMap, secretKeyRef: secret, ...other } = variable.valueFrom ?? {};
    if (Object.keys(other).length) throw new Error(`${variable.name}: only value, configMapKeyRef and secretKeyRef are checked`);
    const value = configMap
      ? dataOf(named(resources, 'ConfigMap', configMap.name, namespace))?.[configMap.key]
      : secret
        ? dataOf(named(resources, 'Secret', secret.name, namespace))?.[secret.key]
        : variable.value;
    env[variable.name] = value ?? '';
  }
  return env;
}

interface AppContainer {
  workload: Workload;
  container: PodSpec['containers'][number];
  app: 'api' | 'worker';
  env: Record<string, string>;
  /** The app's parsed configuration, or undefined when it does not parse (reported by appChecks). */
  config?: Record<string, unknown>;
}

const repositoryOf = (image = '') => image.replace(/[:@].*$/, '');

/** Every container that runs one of our images, with its environment and parsed configuration. */
export function appContainers(resources: Resource[], contracts: Contracts): AppContainer[] {
  return workloads(resources).flatMap((workload) =>
    workload.pod.containers.flatMap((container) => {
      const app = (['api', 'worker'] as const).find((name) => {
        const repository = repositoryOf(container.image);
        return repository === contracts[name].image || repository.endsWith(`/${contracts[name].image}`);
      });
      if (!app) return [];
      const env = environmentOf(container, workload.resource.metadata.namespace, resources);
      let config: Record<string, unknown> | undefined;
      try {
        config = contracts[app].load(env);
      } catch {
        config = undefined;
      }
      return [{ workload, container, app, env, config }];
    }),
  );
}

function appChecks(resources: Resource[], contracts: Contracts): string[] {
  return appContainers(resources, contracts).flatMap(({ workload, container, app, env, config }) => {
    const where = `${id(workload.resource)} container ${container.name}`;
    const unread = Object.keys(env).filter((name) => !contracts[app].reads.has(name) && !runtimeVariable(name));
    const errors = unread.map((name) => `${where}: sets ${name}, which the ${app} does not read`);
    if (!config) {
      try {
        contracts[app].load(env);
      } catch (error) {
        errors.push(`${where}: the ${app} refuses its configuration: ${(error as Error).message}`);
      }
    }
    return errors;
  });
}

function apiChecks(resources: Resource[], contracts: Contracts): string[] {
  return appContainers(resources, contracts)
    .filter((c) => c.app === 'api')
    .flatMap(({ workload, container, env, config }) => {
      const where = `${id(workload.resource)} container ${container.name}`;
      const errors: string[] = [];
      const probes = { readinessProbe: '/ready', livenessProbe: '/health', startupProbe: undefined } as const;
      for (const [probe, expected] of Object.entries(probes)) {
        const httpGet = (container[probe] as { httpGet?: { path?: string; port?: string | number } } | undefined)?.httpGet;
        if (!httpGet) {
          if (expected) errors.push(`${where}: no ${probe} on ${expected}`);
          continue;
        }
        if (!contracts.api.paths.has(httpGet.path ?? '/')) errors.push(`${where}: ${probe} asks for ${httpGet.path}, which the API does not serve`);
        else if (expected && httpGet.path !== expected) errors.push(`${where}: ${probe} asks for ${httpGet.path} instead of ${expected}`);
        const ports = (container.ports ?? []) as { name?: string; containerPort: number }[];
        const port = typeof httpGet.port === 'string' ? ports.find((p) => p.name === httpGet.port)?.containerPort : httpGet.port;
        if (config && port !== config.PORT) errors.push(`${where}: ${probe} asks port ${httpGet.port}, the API listens on ${String(config.PORT)}`);
      }
      // The image's CMD carries the heap flags; a command, args or NODE_OPTIONS would change them.
      if (container.command || container.args) errors.push(`${where}: command/args replace the image's CMD and its node flags`);
      if ('NODE_OPTIONS' in env) errors.push(`${where}: NODE_OPTIONS would add to the image's node flags`);
      const heapMiB = heapCeilingMiB(contracts.api.nodeFlags);
      const limit = quantity((container.resources as Spec | undefined)?.limits?.memory) / 2 ** 20;
      if (!(limit > heapMiB)) errors.push(`${where}: memory limit ${limit} Mi is not above the heap the node flags allow (${heapMiB} Mi)`);
      return errors;
    });
}

/** V8's heap ceiling in MiB from --max-old-space-size and --max-semi-space-size (the young generation is three semi-spaces). */
export function heapCeilingMiB(flags: readonly string[]): number {
  const flag = (name: string) => Number(flags.find((f) => f.startsWith(`--${name}=`))?.split('=')[1]);
  const old = flag('max-old-space-size');
  const semi = flag('max-semi-space-size');
  if (!old || !semi) throw new Error(`heap flags missing in ${flags.join(' ')}`);
  return old + 3 * semi;
}

function workerChecks(resources: Resource[], contracts: Contracts): string[] {
  const workers = appContainers(resources, contracts).filter((c) => c.app === 'worker');
  const errors: string[] = [];
  for (const { workload, config } of workers) {
    if (!config) continue;
    const grace = (workload.pod.terminationGracePeriodSeconds as number | undefined) ?? 30;
    if (!(grace > (config.SHUTDOWN_TIMEOUT_S as number))) {
      errors.push(`${id(workload.resource)}: terminationGracePeriodSeconds ${grace} is not above SHUTDOWN_TIMEOUT_S ${String(config.SHUTDOWN_TIMEOUT_S)}`);
    }
  }
  for (const scaledObject of ofKind(resources, 'ScaledObject')) {
    const spec = specOf(scaledObject);
    const target = workers.find((w) => w.workload.resource.kind === (spec.scaleTargetRef.kind ?? 'Deployment') && w.workload.resource.metadata.name === spec.scaleTargetRef.name);
    if (!target?.config) {
      errors.push(`${id(scaledObject)}: its target runs no worker whose configuration parses`);
      continue;
    }
    // The shards whose queues the pool serves: WORKER_SHARDS, else every one of QUEUE_SHARDS.
    const shards = (target.config.WORKER_SHARDS as number[] | undefined) ?? shardRange(target.config.QUEUE_SHARDS as number);
    errors.push(...triggerChecks(scaledObject, target.config.QUEUE_PREFIX as string, target.config.WORKER_QUEUES as string[], shards));
  }
  return errors;
}

/**
 * BullMQ 6 keeps a queue's runnable jobs in `<prefix>:<queue>:wait` (LIST) and, when added with a
 * priority, `<prefix>:<queue>:prioritized` (ZSET); running ones in `<prefix>:<queue>:active` (LIST).
 */
export const bullmqKeys = (prefix: string, queue: string) => ({ wait: `${prefix}:${queue}:wait`, prioritized: `${prefix}:${queue}:prioritized`, active: `${prefix}:${queue}:active` });

/** A queue's keys in each shard it lives in: the sharded queues (train, predict) in every one of `shards`, the others in shard 0. */
const queueKeys = (prefix: string, queue: string, shards: number[]) =>
  ((shardedTypes as ReadonlySet<string>).has(queue) ? shards : [0]).map((shard) => bullmqKeys(shardPrefix(prefix, shard), queue));

function triggerChecks(scaledObject: Resource, prefix: string, queues: string[], shards: number[]): string[] {
  const where = id(scaledObject);
  const spec = specOf(scaledObject);
  const triggers = (spec.triggers ?? []) as { type: string; name?: string; metadata: Record<string, string> }[];
  const errors: string[] = [];
  const known = new Set(queues.flatMap((queue) => queueKeys(prefix, queue, shards).flatMap((keys) => Object.values(keys))));
  const inShards = shards.length > 1 ? ` in shards ${shards.join(', ')}` : '';
  for (const trigger of triggers) {
    if (trigger.type !== 'redis' && trigger.type !== 'redis-cluster') errors.push(`${where}: trigger type ${trigger.type} is not a Redis one`);
    if (!known.has(trigger.metadata.listName!)) errors.push(`${where}: ${trigger.metadata.listName} is no BullMQ key of the queues ${queues.join(', ')} under ${prefix}${inShards}`);
  }
  // One Redis, one protocol: shard triggers added before components/redis-cluster would stay plain redis.
  const types = [...new Set(triggers.map((trigger) => trigger.type))];
  if (types.length > 1) errors.push(`${where}: its triggers mix the types ${types.join(' and ')}`);
  const lists = new Set(triggers.map((trigger) => trigger.metadata.listName));
  for (const queue of queues) {
    for (const { wait, prioritized } of queueKeys(prefix, queue, shards)) {
      for (const key of [wait, prioritized]) if (!lists.has(key)) errors.push(`${where}: no trigger on ${key}, where ${queue}'s runnable jobs wait`);
    }
  }
  const formula = spec.advanced?.scalingModifiers?.formula as string | undefined;
  if (formula) {
    const terms: string[] = formula.match(/[A-Za-z_]\w*/g) ?? [];
    const used = new Set(terms);
    for (const trigger of triggers) {
      if (!trigger.name || !used.has(trigger.name)) errors.push(`${where}: the trigger on ${trigger.metadata.listName} is left out of the formula "${formula}"`);
    }
    for (const name of used) if (!triggers.some((trigger) => trigger.name === name)) errors.push(`${where}: the formula names ${name}, which no trigger is`);
    for (const name of new Set(terms.filter((term, index) => terms.indexOf(term) !== index))) errors.push(`${where}: the formula counts ${name} more than once`);
  }
  return errors;
}

/** KEDA's operator runs in its own namespace: a Service must be named with ours, and must exist. */
function kedaAddressChecks(resources: Resource[]): string[] {
  return ofKind(resources, 'TriggerAuthentication').flatMap((auth) => {
    const ref = ((specOf(auth).configMapTargetRef ?? []) as { parameter: string; name: string; key: string }[]).find((r) => ['address', 'addresses'].includes(r.parameter));
    const address = ref && dataOf(named(resources, 'ConfigMap', ref.name, auth.metadata.namespace))?.[ref.key];
    if (!address) return [];
    return address.split(',').flatMap((hostPort) => {
      const [host = '', port] = hostPort.trim().split(':');
      if (!port) return [`${id(auth)}: address ${hostPort} has no port`];
      if (!host.includes('.')) return [`${id(auth)}: address ${hostPort}: KEDA's operator resolves a bare name in its own namespace; write <service>.<namespace>.svc`];
      const local = /^([^.]+)\.([^.]+)\.svc(\.cluster\.local)?$/.exec(host);
      if (!local) return [];
      const service = named(resources, 'Service', local[1], local[2]);
      if (!service) return [`${id(auth)}: address ${hostPort}: no Service ${local[1]} in namespace ${local[2]}`];
      const ports = (specOf(service).ports ?? []) as { port: number }[];
      return ports.some((p) => p.port === Number(port)) ? [] : [`${id(auth)}: address ${hostPort}: Service ${local[1]} has no port ${port}`];
    });
  });
}

function securityChecks(resources: Resource[]): string[] {
  return workloads(resources).flatMap(({ resource, pod }) => {
    const errors: string[] = [];
    const podSecurity = (pod.securityContext ?? {}) as Spec;
    if (pod.automountServiceAccountToken !== false) errors.push(`${id(resource)}: mounts a service account token it does not use`);
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      const where = `${id(resource)} container ${container.name}`;
      const security = { ...podSecurity, ...((container.securityContext ?? {}) as Spec) };
      if (security.runAsNonRoot !== true || !Number.isInteger(security.runAsUser) || security.runAsUser === 0) {
        errors.push(`${where}: must run as a numeric non-root user (runAsNonRoot, runAsUser)`);
      }
      if (security.seccompProfile?.type !== 'RuntimeDefault') errors.push(`${where}: no RuntimeDefault seccomp profile`);
      if (security.allowPrivilegeEscalation !== false) errors.push(`${where}: allows privilege escalation`);
      if (security.readOnlyRootFilesystem !== true) errors.push(`${where}: root filesystem is writable`);
      if (!security.capabilities?.drop?.includes('ALL')) errors.push(`${where}: keeps Linux capabilities`);
      const { requests = {}, limits = {} } = (container.resources ?? {}) as Spec;
      for (const resourceName of ['cpu', 'memory']) {
        if (!requests[resourceName] || !limits[resourceName]) errors.push(`${where}: no ${resourceName} request and limit`);
        else if (quantity(requests[resourceName]) > quantity(limits[resourceName])) errors.push(`${where}: ${resourceName} request above its limit`);
      }
    }
    return errors;
  });
}

/** A Kubernetes quantity ("500m", "1", "256Mi", "1Gi") as a number. */
export function quantity(value: string | number | undefined): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|M|G|Ki|Mi|Gi)?$/.exec(String(value));
  if (!match) return Number.NaN;
  const units: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
  return Number(match[1]) * (match[2] ? units[match[2]]! : 1);
}

function disruptionChecks(resources: Resource[]): string[] {
  const minimum = (w: Workload) => {
    const scalers = resources.filter((r) => r.metadata.namespace === w.resource.metadata.namespace && specOf(r).scaleTargetRef?.name === w.resource.metadata.name);
    const hpa = scalers.find((r) => r.kind === 'HorizontalPodAutoscaler');
    const scaledObject = scalers.find((r) => r.kind === 'ScaledObject');
    return (hpa ? specOf(hpa).minReplicas : scaledObject ? specOf(scaledObject).minReplicaCount : specOf(w.resource).replicas) ?? 1;
  };
  return ofKind(resources, 'PodDisruptionBudget').flatMap((budget) => {
    const { maxUnavailable, minAvailable } = specOf(budget);
    if (typeof maxUnavailable === 'number') return maxUnavailable > 0 ? [] : [`${id(budget)}: maxUnavailable 0 blocks every node drain`];
    if (typeof minAvailable !== 'number') return [`${id(budget)}: give maxUnavailable or a number minAvailable`];
    return guard(id(budget), () =>
      selected(specOf(budget).selector, budget.metadata.namespace, resources)
        .filter((w) => minAvailable >= minimum(w))
        .map((w) => `${id(budget)}: minAvailable ${minAvailable} blocks every node drain while ${id(w.resource)} runs ${minimum(w)}`),
    );
  });
}

/** ConfigMaps are readable by anyone who may read the namespace's config: no credentials there. */
function configMapSecretChecks(resources: Resource[]): string[] {
  return ofKind(resources, 'ConfigMap').flatMap((configMap) =>
    Object.entries(dataOf(configMap) ?? {}).flatMap(([key, value]) => {
      if (/PASSWORD|SECRET|TOKEN|_KEY$/.test(key)) return [`${id(configMap)}: ${key} belongs in the Secret`];
      if (/:\/\/[^/@\s]*:[^/@\s]*@/.test(value)) return [`${id(configMap)}: ${key} holds a URL with a password`];
      return [];
    }),
  );
}

/** Every check over a build; empty when it is consistent. */
export function checkBuild(resources: Resource[], contracts: Contracts): string[] {
  return [
    ...selectorChecks(resources),
    ...scaleTargetChecks(resources),
    ...referenceChecks(resources),
    ...appChecks(resources, contracts),
    ...apiChecks(resources, contracts),
    ...workerChecks(resources, contracts),
    ...kedaAddressChecks(resources),
    ...securityChecks(resources),
    ...disruptionChecks(resources),
    ...configMapSecretChecks(resources),
  ];
}
