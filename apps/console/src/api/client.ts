/** An error as the API states it: `{"error":{"code","message","issues"?}}`, or as near as we can tell. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path?: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const keyItem = 'trainyard.key';

/** The API key lives in this tab's session storage only: closing the tab signs out. */
export const session = {
  key: (): string | null => sessionStorage.getItem(keyItem),
  signIn: (key: string) => sessionStorage.setItem(keyItem, key),
  signOut: () => sessionStorage.removeItem(keyItem),
};

/** Called once with the refusal whenever the API answers 401: the app returns to sign-in. */
let onUnauthorized: (error: ApiError) => void = () => {};
export const whenUnauthorized = (handler: (error: ApiError) => void) => (onUnauthorized = handler);

export const authHeaders = (key = session.key()): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

/** Turns any non-2xx answer into an ApiError; a 401 also signs out. */
export async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  return refusal(response.status, response.statusText, text);
}

export function refusal(status: number, statusText: string, text: string): ApiError {
  let error: ApiError;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; issues?: ApiError['issues'] } };
    const { code, message, issues } = body.error ?? {};
    error = new ApiError(status, code ?? `http_${status}`, message ?? (statusText || 'the API gave no reason'), issues ?? []);
  } catch {
    error = new ApiError(status, `http_${status}`, text.trim().slice(0, 200) || statusText || 'the API gave no reason');
  }
  if (status === 401) onUnauthorized(error);
  return error;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Sign in checks a key that is not stored yet. */
  key?: string;
}

/** A call to the public API with the session's key; resolves to the JSON body (undefined for 204). */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...authHeaders(options.key ?? session.key()),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', `the API could not be reached (${(error as Error).message})`);
  }
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Uploads a file with progress (fetch cannot report upload progress; XMLHttpRequest can). */
export function upload<T>(path: string, file: Blob, contentType: string, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', path);
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.setRequestHeader('content-type', contentType);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(JSON.parse(xhr.responseText) as T);
      } else reject(refusal(xhr.status, xhr.statusText, xhr.responseText));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'the upload could not reach the API'));
    xhr.send(file);
  });
}
