import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface JsonResponse<T = unknown> {
  status: number;
  body: T;
}

/**
 * A small keep-alive JSON client on node:http: cheaper per request than fetch, so the client adds
 * as little as possible to the latencies it measures.
 */
export class JsonClient {
  private readonly agent: Agent;

  constructor(
    readonly baseUrl: string,
    /** Sent with every request: the API key, for one. */
    private readonly headers: Record<string, string> = {},
    maxSockets = 64,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  get<T>(path: string): Promise<JsonResponse<T>> {
    return this.send<T>('GET', path);
  }

  post<T>(path: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
    return this.send<T>('POST', path, JSON.stringify(body), headers);
  }

  /** Streams a body up (a dataset of any size); answers the status. */
  async putStream(path: string, contentType: string, body: Readable): Promise<number> {
    let status = 0;
    const req = request(new URL(path, this.baseUrl), { method: 'PUT', headers: { ...this.headers, 'content-type': contentType }, agent: this.agent }, (res) => {
      status = res.statusCode ?? 0;
      res.resume();
    });
    const answered = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => res.on('end', resolve).on('error', reject));
      req.on('error', reject);
    });
    await pipeline(body, req);
    await answered;
    return status;
  }

  close(): void {
    this.agent.destroy();
  }

  private send<T>(method: string, path: string, payload?: string, extra: Record<string, string> = {}): Promise<JsonResponse<T>> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { accept: 'application/json', ...this.headers, ...extra };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(payload);
      }
      const req = request(new URL(path, this.baseUrl), { method, headers, agent: this.agent, timeout: 10_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: (text ? JSON.parse(text) : null) as T });
          } catch {
            reject(new Error(`${method} ${path}: ${res.statusCode} with a non-JSON body: ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/** A TCP port free on 127.0.0.1 right now, for a child server to listen on. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
