import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  /** Beside content-type: the API key, for one. */
  headers?: Record<string, string>;
  /** Called for every request, so each may carry a different body. */
  body: () => unknown;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  /** 2xx answers per second; errors and other statuses do not count. */
  okPerSecond: number;
  ok: number;
  non2xx: number;
  errors: number;
}

/** POSTs JSON bodies for a fixed time with autocannon (one connection = one request in flight). */
export async function postLoad({ url, headers = {}, body, connections, seconds }: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    requests: [{ setupRequest: (request) => ({ ...request, body: JSON.stringify(body()) }) }],
    connections,
    pipelining: 1,
    duration: seconds,
  });
  return { okPerSecond: result['2xx'] / result.duration, ok: result['2xx'], non2xx: result.non2xx, errors: result.errors };
}
