// Validates rendered manifests against the Kubernetes and KEDA schemas that the npm packages
// kubernetes-models and @kubernetes-models/keda compile. Their schemas allow unknown fields (the
// OpenAPI documents do not forbid them), while the API server's strict field validation rejects
// them; so a validation also reports every field the schema never looked at, which catches a
// misspelt or misplaced field (`readinesProbe`, a probe at pod level) before a cluster does.
import * as kubernetes from 'kubernetes-models';
import * as keda from '@kubernetes-models/keda';
import type { Resource } from './kustomize.js';

interface ModelClass {
  apiVersion: string;
  kind: string;
  prototype: { validate(this: unknown): void };
}

/** Every model the packages define, by "apiVersion/kind". */
const models = new Map<string, ModelClass>();
function collect(namespace: object, depth = 0): void {
  for (const value of Object.values(namespace)) {
    if (typeof value === 'function' && 'apiVersion' in value && 'kind' in value) models.set(`${String(value.apiVersion)}/${String(value.kind)}`, value as ModelClass);
    else if (value && typeof value === 'object' && depth < 3) collect(value, depth + 1);
  }
}
collect(kubernetes);
collect(keda);

/** kubernetes-models keeps the beta versions Kubernetes has removed; KEDA's only version is v1alpha1. */
const servedVersion = (apiVersion: string) => apiVersion.startsWith('keda.sh/') || !/(alpha|beta)\d*$/.test(apiVersion);

/** Schema errors and unknown fields of one resource, as "Kind/name: path message" lines. */
export function schemaErrors(resource: Resource): string[] {
  const where = `${resource.kind}/${resource.metadata?.name}`;
  const model = models.get(`${resource.apiVersion}/${resource.kind}`);
  if (!model) return [`${where}: no schema for ${resource.apiVersion} ${resource.kind}`];
  if (!servedVersion(resource.apiVersion)) return [`${where}: ${resource.apiVersion} is no longer served by Kubernetes`];

  const reads = new Map<object, Set<PropertyKey>>();
  const errors: string[] = [];
  try {
    // The model's validate() runs the compiled schema on `this`: here, a proxy that records reads.
    model.prototype.validate.call(recordingReads(resource, reads));
  } catch (error) {
    errors.push(...(error as Error).message.split(', ').map((message) => `${where}: ${message}`));
  }
  return [...errors, ...unreadFields(resource, reads, '').map((path) => `${where}: ${path} is not a field of ${resource.kind}`)];
}

/** A deep proxy: every property the validator reads, checks or enumerates is noted per object. */
function recordingReads<T extends object>(target: T, reads: Map<object, Set<PropertyKey>>): T {
  const noted = reads.get(target) ?? new Set<PropertyKey>();
  reads.set(target, noted);
  return new Proxy(target, {
    get(object, key, receiver) {
      noted.add(key);
      const value: unknown = Reflect.get(object, key, receiver);
      return value && typeof value === 'object' ? recordingReads(value, reads) : value;
    },
    has(object, key) {
      noted.add(key);
      return Reflect.has(object, key);
    },
    getOwnPropertyDescriptor(object, key) {
      noted.add(key);
      return Reflect.getOwnPropertyDescriptor(object, key);
    },
    ownKeys(object) {
      // A map (labels, a trigger's metadata): the schema enumerates it and checks every value.
      for (const key of Reflect.ownKeys(object)) noted.add(key);
      return Reflect.ownKeys(object);
    },
  });
}

function unreadFields(node: unknown, reads: Map<object, Set<PropertyKey>>, path: string): string[] {
  if (!node || typeof node !== 'object') return [];
  if (Array.isArray(node)) return node.flatMap((item, index) => unreadFields(item, reads, `${path}[${index}]`));
  const read = reads.get(node);
  // An object the schema never reached lies below a field already reported.
  if (!read) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    read.has(key) ? unreadFields(value, reads, `${path}.${key}`) : [`${path}.${key}`.slice(1)],
  );
}
