import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';

type Operation = { responses: Record<string, { content?: Record<string, unknown> }> };
type Document = { paths: Record<string, Record<string, Operation>> };

export interface OpenApiRecorder {
  /**
   * Checks a real answer against the document: its path and method are described, its status is
   * one of the operation's, and its body (JSON, or one SSE message) matches the schema given for
   * that status. Throws naming what differs; records the operation as covered.
   */
  check(method: string, url: string, status: number, body?: unknown, contentType?: string): void;
  /** "get /v1/tasks/{taskId}" for each operation never checked. */
  unchecked(): string[];
}

const pointer = (...parts: string[]) => parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/** Loads the API's own /openapi.json and checks answers against it (JSON Schema 2020-12, as OpenAPI 3.1 uses). */
export async function openApiRecorder(baseUrl: string): Promise<OpenApiRecorder> {
  const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as Document;
  const ajv = new Ajv2020({ strict: false, allErrors: true, formats: { 'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i } });
  ajv.addSchema(document, 'openapi');
  const templates = Object.keys(document.paths).map((path) => ({ path, pattern: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`) }));
  const covered = new Set<string>();

  return {
    check(method, url, status, body, contentType = 'application/json') {
      const path = new URL(url, baseUrl).pathname;
      const matching = templates.filter(({ pattern }) => pattern.test(path));
      // A literal segment wins over a parameter: /v1/models/{name}/cache, not .../versions/{version}.
      const template = matching.sort((a, b) => b.path.replace(/\{\w+\}/g, '').length - a.path.replace(/\{\w+\}/g, '').length)[0]?.path;
      const verb = method.toLowerCase();
      const operation = template ? document.paths[template]?.[verb] : undefined;
      if (!template || !operation) throw new Error(`${method} ${path} is not in the OpenAPI document`);
      const response = operation.responses[String(status)];
      if (!response) throw new Error(`${verb} ${template} answered ${status}, which the document does not list (${Object.keys(operation.responses).join(', ')})`);
      if (body !== undefined) {
        const type = contentType.split(';')[0]!.trim();
        if (!response.content?.[type]) throw new Error(`${verb} ${template} ${status} answered ${type}, which the document does not list`);
        if (type === 'application/json' || type === 'text/event-stream') {
          const validate = ajv.getSchema(`openapi#/${pointer('paths', template, verb, 'responses', String(status), 'content', type, 'schema')}`)!;
          if (!validate(body)) throw new Error(`${verb} ${template} ${status}: ${ajv.errorsText(validate.errors as ErrorObject[])}\n${JSON.stringify(body).slice(0, 2000)}`);
        }
      }
      covered.add(`${verb} ${template}`);
    },
    unchecked() {
      return Object.entries(document.paths).flatMap(([path, item]) => Object.keys(item).map((verb) => `${verb} ${path}`)).filter((op) => !covered.has(op));
    },
  };
}
