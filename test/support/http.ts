import type { TaskResource } from '@trainyard/shared/tasks';
import { bearer } from './auth.js';

export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestInit {
  method?: string;
  /** JSON unless a string or bytes, which go as they are. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The API key sent as a bearer token: the test admin key unless named; null sends none. */
  key?: string | null;
}

/** A JSON request against a real server, with an API key; the body is parsed whatever the status. */
export async function request<T = any>(url: string, init: RequestInit = {}): Promise<JsonResponse<T>> {
  const auth = init.key === null ? {} : bearer(init.key);
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: init.body === undefined ? { ...auth, ...init.headers } : { 'content-type': 'application/json', ...auth, ...init.headers },
    body: init.body === undefined ? undefined : typeof init.body === 'string' || init.body instanceof Uint8Array ? init.body : JSON.stringify(init.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** Polls a task until it reaches a status in `until`, as a user would (with `key`, the test admin key unless named). */
export async function waitForTask(baseUrl: string, taskId: string, until: string[] = ['SUCCESS', 'FAILURE'], timeoutMs = 60_000, key?: string): Promise<TaskResource> {
  const deadline = Date.now() + timeoutMs;
  let task: TaskResource | undefined;
  while (Date.now() < deadline) {
    const response = await request<TaskResource>(`${baseUrl}/v1/tasks/${taskId}`, { key });
    task = response.body;
    if (response.status === 200 && until.includes(task.status)) return task;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`task ${taskId} did not reach ${until.join('/')} in ${timeoutMs} ms; last seen: ${JSON.stringify(task)}`);
}
