// Renders a kustomization offline, as `kubectl kustomize` would, for the subset of kustomize that
// deploy/kubernetes uses: resources, components, namespace, labels (without selectors), images,
// JSON 6902 patches with a kind/name target, and ConfigMap/Secret generators (literals, env files,
// merge, name-suffix hashes and the pod references to them). Anything else throws, naming the
// field, so a kustomization cannot drift out of what the tests check. The output equals
// kustomize 5.5's for our overlays but for the order of the resources.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

export interface RenderOptions {
  /** Reads a file the kustomization names (env files, resources); defaults to the disk. */
  readFile?: (path: string) => string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
  envs?: string[];
  type?: string;
  options?: { disableNameSuffixHash?: boolean };
}

interface Target {
  kind?: string;
  name?: string;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  components?: string[];
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean; includeTemplates?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patches?: { patch?: string; path?: string; target?: Target }[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
}

const known: Record<string, readonly string[]> = {
  kustomization: ['apiVersion', 'kind', 'namespace', 'resources', 'components', 'labels', 'images', 'patches', 'configMapGenerator', 'secretGenerator'],
  label: ['pairs', 'includeSelectors', 'includeTemplates'],
  image: ['name', 'newName', 'newTag', 'digest'],
  patch: ['patch', 'path', 'target'],
  target: ['kind', 'name'],
  generator: ['name', 'behavior', 'literals', 'envs', 'type', 'options'],
  generatorOptions: ['disableNameSuffixHash'],
};

class KustomizeError extends Error {
  override name = 'KustomizeError';
}

function onlyKnown(where: string, value: object, kind: keyof typeof known): void {
  const unknown = Object.keys(value).filter((key) => !known[kind]!.includes(key));
  if (unknown.length) throw new KustomizeError(`${where}: ${unknown.map((key) => `"${key}"`).join(', ')} not supported by this renderer`);
}

/** Generated objects waiting for their name-suffix hash, which kustomize adds once the whole build is done. */
const needsHash = new WeakSet<Resource>();

/** Builds the kustomization in `dir` (a folder with a kustomization.yaml). */
export function kustomize(dir: string, options: RenderOptions = {}): Resource[] {
  const read = options.readFile ?? ((path: string) => readFileSync(path, 'utf8'));
  const resources = build(dir, 'Kustomization', [], read);
  suffixGeneratedNames(resources);
  return resources;
}

function build(dir: string, expectedKind: 'Kustomization' | 'Component', input: Resource[], read: (path: string) => string): Resource[] {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const k = parseOne(read(file), file) as Kustomization;
  onlyKnown(file, k, 'kustomization');
  if ((k.kind ?? 'Kustomization') !== expectedKind) throw new KustomizeError(`${file}: a ${expectedKind} was expected, not a ${k.kind}`);

  let resources = [...input];
  for (const entry of k.resources ?? []) {
    const path = join(dir, entry);
    if (existsSync(path) && statSync(path).isDirectory()) resources.push(...build(path, 'Kustomization', [], read));
    else resources.push(...parseResources(read(path), path));
  }
  for (const entry of k.components ?? []) resources = build(join(dir, entry), 'Component', resources, read);

  for (const generator of k.configMapGenerator ?? []) generate(resources, 'ConfigMap', generator, dir, file, read);
  for (const generator of k.secretGenerator ?? []) generate(resources, 'Secret', generator, dir, file, read);

  // kustomize's order of transformers: patches, namespace, labels, images.
  for (const [index, patch] of (k.patches ?? []).entries()) applyPatch(resources, patch, dir, `${file}: patches[${index}]`, read);
  if (k.namespace) setNamespace(resources, k.namespace, file);
  for (const label of k.labels ?? []) addLabels(resources, label, file);
  for (const image of k.images ?? []) setImage(resources, image, file);
  return resources;
}

function parseOne(text: string, path: string): unknown {
  const documents = parseResources(text, path);
  if (documents.length !== 1) throw new KustomizeError(`${path}: one YAML document expected`);
  return documents[0];
}

function parseResources(text: string, path: string): Resource[] {
  return parseAllDocuments(text).flatMap((document) => {
    if (document.errors.length) throw new KustomizeError(`${path}: ${document.errors[0]!.message}`);
    const value = document.toJS({ maxAliasCount: 100 }) as Resource | null;
    return value === null ? [] : [value];
  });
}

// ---------------------------------------------------------------------------------------------
// Generators

function generate(resources: Resource[], kind: 'ConfigMap' | 'Secret', generator: Generator, dir: string, file: string, read: (path: string) => string): void {
  const where = `${file}: ${kind} generator "${generator.name}"`;
  onlyKnown(where, generator, 'generator');
  if (generator.options) onlyKnown(`${where} options`, generator.options, 'generatorOptions');
  if (kind === 'ConfigMap' && generator.type) throw new KustomizeError(`${where}: "type" is for Secrets`);

  const data: Record<string, string> = {};
  for (const env of generator.envs ?? []) Object.assign(data, parseEnvFile(read(join(dir, env)), join(dir, env)));
  for (const literal of generator.literals ?? []) Object.assign(data, parseEnvLine(literal, where));

  const behavior = generator.behavior ?? 'create';
  const existing = resources.find((r) => r.kind === kind && r.metadata.name === generator.name);
  if (behavior === 'create') {
    if (existing) throw new KustomizeError(`${where}: already exists; use behavior merge or replace`);
    const encoded = kind === 'Secret' ? mapValues(data, (value) => Buffer.from(value).toString('base64')) : data;
    const resource: Resource = {
      apiVersion: 'v1',
      kind,
      metadata: { name: generator.name },
      data: encoded,
      ...(kind === 'Secret' ? { type: generator.type ?? 'Opaque' } : {}),
    };
    if (!generator.options?.disableNameSuffixHash) needsHash.add(resource);
    resources.push(resource);
    return;
  }
  if (!existing) throw new KustomizeError(`${where}: nothing to ${behavior}`);
  if (kind === 'Secret') throw new KustomizeError(`${where}: merging Secrets is not supported by this renderer`);
  existing.data = behavior === 'merge' ? { ...(existing.data as Record<string, string>), ...data } : data;
  // As in kustomize, the base's options hold unless the overlay sets its own.
  if (generator.options?.disableNameSuffixHash === true) needsHash.delete(existing);
  if (generator.options?.disableNameSuffixHash === false) needsHash.add(existing);
}

/** KEY=VALUE lines; blank lines and # comments skipped. A bare KEY (kustomize: "take it from the environment") is refused. */
export function parseEnvFile(text: string, path: string): Record<string, string> {
  const data: Record<string, string> = {};
  for (const [index, line] of text.replace(/^\uFEFF/, '').split('\n').entries()) {
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    Object.assign(data, parseEnvLine(line, `${path}:${index + 1}`));
  }
  return data;
}

function parseEnvLine(line: string, where: string): Record<string, string> {
  const at = line.indexOf('=');
  if (at < 0) throw new KustomizeError(`${where}: "${line}" is not KEY=VALUE`);
  const key = line.slice(0, at).trimStart();
  if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new KustomizeError(`${where}: "${key}" is not a valid key`);
  return { [key]: line.slice(at + 1) };
}

function mapValues(data: Record<string, string>, map: (value: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, map(value)]));
}

/**
 * kustomize's suffix: the first 10 hex digits of the SHA-256 of Go's JSON of {data, kind, name: ""}
 * (keys sorted, <>& escaped), with 0 1 3 a e spelled g h k m t so it never reads as a number or a word.
 */
export function nameSuffix(resource: Resource): string {
  const data = Object.fromEntries(Object.entries((resource.data ?? {}) as Record<string, string>).sort(([a], [b]) => (a < b ? -1 : 1)));
  const fields = resource.kind === 'Secret' ? { data, kind: 'Secret', name: '', type: resource.type } : { data, kind: 'ConfigMap', name: '' };
  const goJson = JSON.stringify(fields).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const hex = createHash('sha256').update(goJson).digest('hex').slice(0, 10);
  return hex.replace(/[013ae]/g, (c) => ({ '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' })[c]!);
}

/** Suffixes generated names and rewrites the pod references to them, as kustomize does at the end of a build. */
function suffixGeneratedNames(resources: Resource[]): void {
  const renamed = new Map<string, string>();
  for (const resource of resources.filter((r) => needsHash.has(r))) {
    const name = `${resource.metadata.name}-${nameSuffix(resource)}`;
    renamed.set(`${resource.kind}/${resource.metadata.namespace ?? ''}/${resource.metadata.name}`, name);
    resource.metadata.name = name;
  }
  for (const resource of resources) {
    const rename = (kind: string, ref: { name?: string } | undefined) => {
      const name = ref?.name && renamed.get(`${kind}/${resource.metadata.namespace ?? ''}/${ref.name}`);
      if (name) ref.name = name;
    };
    const pod = podSpecOf(resource);
    for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      for (const from of container.envFrom ?? []) {
        rename('ConfigMap', from.configMapRef);
        rename('Secret', from.secretRef);
      }
      for (const env of container.env ?? []) {
        rename('ConfigMap', env.valueFrom?.configMapKeyRef);
        rename('Secret', env.valueFrom?.secretKeyRef);
      }
    }
    for (const volume of pod?.volumes ?? []) {
      rename('ConfigMap', volume.configMap);
      if (volume.secret) {
        const ref = { name: volume.secret.secretName };
        rename('Secret', ref);
        volume.secret.secretName = ref.name;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Pod templates

interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name?: string; key: string }; secretKeyRef?: { name?: string; key: string } } }[];
  envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
  [key: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; configMap?: { name?: string }; secret?: { secretName?: string } }[];
  [key: string]: unknown;
}

const templated = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** The pod template's metadata and spec of a workload, or undefined for other kinds. */
export function podTemplateOf(resource: Resource): { metadata?: { labels?: Record<string, string> }; spec: PodSpec } | undefined {
  if (resource.kind === 'CronJob') throw new KustomizeError(`${resource.metadata.name}: CronJob templates are not supported by this renderer`);
  if (!templated.has(resource.kind)) return undefined;
  return (resource.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: PodSpec } }).template;
}

const podSpecOf = (resource: Resource): PodSpec | undefined => podTemplateOf(resource)?.spec;

// ---------------------------------------------------------------------------------------------
// Transformers

const clusterScoped = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'PersistentVolume', 'StorageClass', 'PriorityClass']);

function setNamespace(resources: Resource[], namespace: string, file: string): void {
  for (const resource of resources) {
    if (resource.kind === 'Namespace' && resource.metadata.name !== namespace) {
      // kustomize would rename it; say so instead of doing it silently.
      throw new KustomizeError(`${file}: Namespace ${resource.metadata.name} differs from namespace: ${namespace}`);
    }
    if (!clusterScoped.has(resource.kind)) resource.metadata.namespace = namespace;
  }
}

function addLabels(resources: Resource[], label: NonNullable<Kustomization['labels']>[number], file: string): void {
  onlyKnown(`${file}: labels`, label, 'label');
  // A selector cannot change on a live Deployment; ours are written out in the manifests.
  if (label.includeSelectors) throw new KustomizeError(`${file}: labels with includeSelectors are not supported by this renderer`);
  for (const resource of resources) {
    resource.metadata.labels = { ...resource.metadata.labels, ...label.pairs };
    if (!label.includeTemplates) continue;
    const template = podTemplateOf(resource);
    if (template) template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...label.pairs } };
    const claims = (resource.spec as { volumeClaimTemplates?: { metadata: { labels?: Record<string, string> } }[] } | undefined)?.volumeClaimTemplates;
    for (const claim of resource.kind === 'StatefulSet' ? (claims ?? []) : []) claim.metadata.labels = { ...claim.metadata.labels, ...label.pairs };
  }
}

function setImage(resources: Resource[], image: NonNullable<Kustomization['images']>[number], file: string): void {
  onlyKnown(`${file}: images`, image, 'image');
  for (const resource of resources) {
    const pod = podSpecOf(resource);
    for (const container of [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])]) {
      const match = /^(.*?)(?::([^:/@]+))?(?:@(.+))?$/.exec(container.image ?? '');
      if (!match || match[1] !== image.name) continue;
      const tag = image.digest ? `@${image.digest}` : image.newTag ? `:${image.newTag}` : match[2] ? `:${match[2]}` : '';
      container.image = `${image.newName ?? image.name}${tag}`;
    }
  }
}

function applyPatch(resources: Resource[], patch: NonNullable<Kustomization['patches']>[number], dir: string, where: string, read: (path: string) => string): void {
  onlyKnown(where, patch, 'patch');
  if (!patch.target) throw new KustomizeError(`${where}: give a target; strategic-merge patches are not supported by this renderer`);
  onlyKnown(`${where} target`, patch.target, 'target');
  const text = patch.patch ?? (patch.path ? read(join(dir, patch.path)) : undefined);
  if (text === undefined) throw new KustomizeError(`${where}: needs patch or path`);
  const operations = parseOne(text, where);
  if (!Array.isArray(operations)) throw new KustomizeError(`${where}: only JSON 6902 patches (a list of operations) are supported by this renderer`);
  const { kind, name } = patch.target;
  // kustomize matches a target's name as a whole-name regular expression.
  const nameMatches = (value: string) => name === undefined || new RegExp(`^(?:${name})$`).test(value);
  const targets = resources.filter((r) => (kind === undefined || r.kind === kind) && nameMatches(r.metadata.name));
  // kustomize would skip a target that matches nothing; a typo there must not pass unnoticed.
  if (!targets.length) throw new KustomizeError(`${where}: the target matches no resource`);
  for (const target of targets) for (const operation of operations as JsonObject[]) applyOperation(target as unknown as JsonObject, operation, `${where} on ${target.kind} ${target.metadata.name}`);
}

/** One RFC 6902 operation: add, remove, replace, test or copy. */
export function applyOperation(document: JsonObject, operation: JsonObject, where = 'patch'): void {
  const { op, path, from } = operation;
  const [container, last] = parentOf(document, path, where);
  const exists = Array.isArray(container) ? /^\d+$/.test(last) && Number(last) < container.length : Object.hasOwn(container, last);
  // A copy is an add of what `from` holds, deep-copied so that later operations change only the copy.
  const value = op === 'copy' ? structuredClone(child(...parentOf(document, from, where), where, String(from))) : operation.value;
  switch (op) {
    case 'test':
      if (!exists || JSON.stringify(child(container, last, where, String(path))) !== JSON.stringify(value)) {
        throw new KustomizeError(`${where}: test failed at ${path}: expected ${JSON.stringify(value)}`);
      }
      return;
    case 'remove':
    case 'replace':
      if (!exists) throw new KustomizeError(`${where}: ${op} ${path}: nothing there`);
      if (Array.isArray(container)) container.splice(Number(last), 1, ...(op === 'replace' ? [value as Json] : []));
      else if (op === 'remove') delete container[last];
      else container[last] = value as Json;
      return;
    case 'add':
    case 'copy':
      if (Array.isArray(container)) container.splice(last === '-' ? container.length : Number(last), 0, value as Json);
      else container[last] = value as Json;
      return;
    default:
      throw new KustomizeError(`${where}: operation ${String(op)} is not supported by this renderer`);
  }
}

/** The object or list a JSON pointer points into, and the last token: where an operation acts. */
function parentOf(document: JsonObject, path: Json | undefined, where: string): [Json[] | JsonObject, string] {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new KustomizeError(`${where}: bad path ${String(path)}`);
  const tokens = path.slice(1).split('/').map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = tokens.pop()!;
  let parent: Json = document;
  for (const token of tokens) {
    parent = child(parent, token, where, path);
  }
  if (parent === null || typeof parent !== 'object') throw new KustomizeError(`${where}: ${path} has no parent object`);
  return [parent, last];
}

function child(node: Json, token: string, where: string, path: string): Json {
  const next = Array.isArray(node) ? node[Number(token)] : node && typeof node === 'object' ? node[token] : undefined;
  if (next === undefined) throw new KustomizeError(`${where}: ${path}: no "${token}"`);
  return next;
}
