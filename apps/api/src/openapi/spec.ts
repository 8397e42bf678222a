import { z } from 'zod';
import { errorBody, errorCatalog, type ErrorCode } from '@trainyard/shared/platform';
import { submittedTask, taskResource } from '@trainyard/shared/tasks';
import type { Scope } from '../auth/principal.js';

/** JSON values as they appear in the OpenAPI document. */
export type Json = { [key: string]: unknown };

/** Path items keyed by OpenAPI path (`/v1/tasks/{task_id}`): what each feature's openapi.ts exports. */
export type Paths = Record<string, Partial<Record<'get' | 'put' | 'post' | 'delete', Json>>>;

/**
 * Schemas the document holds once under components and refers to everywhere else; the rest is
 * written out where it is used. The key is the component's name.
 */
export const components = { Error: errorBody, Task: taskResource, SubmittedTask: submittedTask } as const;
const componentNames = new Map<z.ZodType, string>(Object.entries(components).map(([name, schema]) => [schema, name]));

/**
 * A zod schema as JSON Schema 2020-12, OpenAPI 3.1's dialect: what a request may send (`input`,
 * before defaults and transforms) or what a response holds (`output`).
 */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const name = componentNames.get(schema);
  return name ? { $ref: `#/components/schemas/${name}` } : inlineSchema(schema, io);
}

/** The schema written out, never as a reference: for the components themselves. */
export function inlineSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
  return rest;
}

export function jsonBody(schema: z.ZodType, description?: string): Json {
  return { required: true, ...(description ? { description } : {}), content: { 'application/json': { schema: jsonSchema(schema, 'input') } } };
}

export function json(description: string, schema: z.ZodType, headers: Json = {}): Json {
  return { description, ...(Object.keys(headers).length ? { headers } : {}), content: { 'application/json': { schema: jsonSchema(schema) } } };
}

export function noContent(description: string): Json {
  return { description };
}

/** Path and query parameters from a zod object: one parameter per field. */
export function parameters(where: 'path' | 'query', shape: Record<string, z.ZodType>, descriptions: Record<string, string> = {}): Json[] {
  return Object.entries(shape).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || !schema.safeParse(undefined).success,
    ...(descriptions[name] ? { description: descriptions[name] } : {}),
    schema: jsonSchema(schema, 'input'),
  }));
}

const header = (description: string, schema: Json = { type: 'string' }): Json => ({ description, schema });

export const headers = {
  location: header('Where the created resource (or the task) is read.'),
  preferenceApplied: header('`wait=N` when the request\'s Prefer: wait=N was honoured.'),
  retryAfter: header('Seconds to wait before trying again.', { type: 'integer' }),
  taskId: header('The task the answer is about, to follow with GET /v1/tasks/{task_id}.'),
  rateLimit: header('Where the key stands in this budget (IETF RateLimit): `"<budget>";r=<requests left>;t=<seconds to reset>`.'),
  rateLimitPolicy: header('The budget (IETF RateLimit-Policy): `"<budget>";q=<requests>;w=<window seconds>`.'),
  wwwAuthenticate: header('The Bearer challenge: which key or scope is missing.'),
};

/** Request headers a submit understands. */
export const submitHeaders: Json[] = [
  {
    name: 'Prefer',
    in: 'header',
    required: false,
    description: '`wait=N` (N ≤ 60): hold the answer up to N seconds; 200 with the finished task if it ends by then, else 202 as without.',
    schema: { type: 'string', examples: ['wait=10'] },
  },
  {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: 'The same key with the same body within 24 h answers with the first task instead of queueing another; with another body, 422.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
];

/** Error answers by status, one response per status listing the codes it stands for. */
export function errors(...codes: ErrorCode[]): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(errorCatalog[code].status, [...(byStatus.get(errorCatalog[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, listed]) => [
      String(status),
      {
        description: `Error: ${listed.map((code) => `\`${code}\``).join(', ')}.`,
        ...(status === 429 || status === 503 ? { headers: { 'Retry-After': headers.retryAfter } } : {}),
        ...(status === 401 || status === 403 ? { headers: { 'WWW-Authenticate': headers.wwwAuthenticate } } : {}),
        content: { 'application/json': { schema: jsonSchema(errorBody) } },
      },
    ]),
  );
}

export interface OperationSpec {
  summary: string;
  description?: string;
  tag: string;
  /** The API key scope the call needs; null for a public route. */
  scope: Scope | null;
  parameters?: Json[];
  requestBody?: Json;
  responses: Record<string, Json>;
}

/**
 * An operation: a keyed one also answers 401, 403 and 429 (rate_limited), and every answer of
 * it carries the key's RateLimit fields.
 */
export function operation({ summary, description, tag, scope, parameters: params, requestBody, responses }: OperationSpec): Json {
  const keyed = scope !== null;
  const rateHeaders = { RateLimit: headers.rateLimit, 'RateLimit-Policy': headers.rateLimitPolicy };
  const all = keyed ? { ...responses, ...errors('unauthorized', 'forbidden', 'rate_limited', 'unavailable') } : responses;
  return {
    summary,
    ...(description || keyed ? { description: [description, keyed ? `Needs an API key with the \`${scope}\` scope (or \`admin\`).` : ''].filter(Boolean).join('\n\n') } : {}),
    tags: [tag],
    ...(params?.length ? { parameters: params } : {}),
    ...(requestBody ? { requestBody } : {}),
    security: keyed ? [{ apiKey: [] }] : [],
    responses: keyed
      ? Object.fromEntries(Object.entries(all).map(([status, response]) => [status, { ...response, headers: { ...rateHeaders, ...(response.headers as Json | undefined) } }]))
      : all,
  };
}

/** What every submit answers: 202 with the queued task, or 200 once it finished within Prefer: wait. */
export const submitResponses: Record<string, Json> = {
  '202': {
    description: 'Queued (or still running after Prefer: wait): the task as it stands; follow Location.',
    headers: { Location: headers.location, 'Preference-Applied': headers.preferenceApplied },
    content: { 'application/json': { schema: { oneOf: [jsonSchema(submittedTask), jsonSchema(taskResource)] } } },
  },
  '200': json('Finished within Prefer: wait (or answered from the prediction cache): the task with its result.', taskResource, {
    Location: headers.location,
    'Preference-Applied': headers.preferenceApplied,
  }),
  ...errors('invalid_request', 'invalid_json', 'invalid_data', 'limit_exceeded', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type', 'idempotency_key_reused', 'quota_exceeded'),
};

export const taskIdParameter: Json = { name: 'taskId', in: 'path', required: true, description: 'A task id, as a submit answered it.', schema: { type: 'string' } };
