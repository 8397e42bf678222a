import { TrainyardError } from './errors.js';
import { sseMessages } from './sse.js';
import type {
  AliasInfo,
  AliasStats,
  AliasTarget,
  DatasetInfo,
  EmbedRequest,
  FeedEvent,
  RetryFilter,
  TaskListQuery,
  TaskPage,
  ModelInfo,
  ModelSummary,
  ModelVersionInfo,
  PredictRequest,
  SubmittedTask,
  TaskEvent,
  TaskResource,
  TaskProgress,
  TrainRequest,
} from './types.js';

export interface TrainyardOptions {
  /** The API's base URL; default TRAINYARD_URL, else http://localhost:3000. */
  url?: string;
  /** Sent as `Authorization: Bearer …` when set; default TRAINYARD_API_KEY. */
  apiKey?: string;
}

export interface SubmitOptions {
  /** `Prefer: wait=N`: answer with the finished task if it finishes within N seconds (≤ 60). */
  wait?: number;
}

export interface WaitOptions {
  /** Each progress update of a training, as it happens. */
  onProgress?: (progress: TaskProgress) => void;
  /** Each status change (STARTED, RETRY, …), as it happens. */
  onStatus?: (event: Extract<TaskEvent, { type: 'status' }>) => void;
  signal?: AbortSignal;
  /** `events` (default): the task's event stream, falling back to long polls when it is unavailable; `poll`: long polls only. */
  follow?: 'events' | 'poll';
}

export interface UploadOptions {
  /** `text/csv` (default) or `application/json` rows. */
  contentType?: 'text/csv' | 'application/json';
  /** The body's size in bytes when it is a stream: sent as Content-Length and used for progress. */
  size?: number;
  /** Bytes handed to the connection so far, and the total when known. */
  onProgress?: (sent: number, total: number | undefined) => void;
}

/** A task whatever way it was answered: queued (202), finished within `Prefer: wait`, or answered from the cache. */
export type AnsweredTask = SubmittedTask | TaskResource;

const terminal = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED']);
/** How long one long poll of the fallback waits, in seconds. */
const pollSeconds = 30;
const seenHeader = 'trainyard-seen';

/** A dropped event stream is resumed (Last-Event-ID) this many times in a row before long polls take over. */
const maxResumes = 3;
const uploadChunkBytes = 64 * 1024;

/** The Trainyard API over Node's fetch: typed requests and answers, errors as TrainyardError. */
export class Trainyard {
  readonly url: string;
  private readonly apiKey: string | undefined;
  /**
   * The furthest point of the API's data this client has seen (Trainyard-Seen), sent back on every
   * request: an API that reads from a replica then never answers with older data than it already gave.
   */
  private seen: bigint | undefined;

  constructor(options: TrainyardOptions = {}) {
    this.url = (options.url ?? process.env.TRAINYARD_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
    this.apiKey = options.apiKey ?? (process.env.TRAINYARD_API_KEY || undefined);
  }

  train(request: TrainRequest, options: SubmitOptions = {}): Promise<AnsweredTask> {
    return this.submit('/v1/train', request, options);
  }

  /** 200 with a finished task when every row is cached, else the queued task. */
  predict(request: PredictRequest, options: SubmitOptions = {}): Promise<AnsweredTask> {
    return this.submit('/v1/predict', request, options);
  }

  embed(request: EmbedRequest, options: SubmitOptions = {}): Promise<AnsweredTask> {
    return this.submit('/v1/embed', request, options);
  }

  /** The task; with `wait`, once it finishes or after that many seconds (≤ 60). */
  task(taskId: string, options: { wait?: number; signal?: AbortSignal } = {}): Promise<TaskResource> {
    const query = options.wait === undefined ? '' : `?wait=${Math.min(60, Math.max(0, Math.round(options.wait)))}`;
    return this.json('GET', `/v1/tasks/${encodeURIComponent(taskId)}${query}`, { signal: options.signal });
  }

  /** Cancels a task: REVOKED at once when it waits, or once its worker stops it. */
  cancel(taskId: string): Promise<TaskResource> {
    return this.json('POST', `/v1/tasks/${encodeURIComponent(taskId)}/cancel`);
  }

  /**
   * The task once it has finished (SUCCESS, FAILURE, REVOKED or EXPIRED), following its event
   * stream: progress and status changes reach the callbacks as they happen. A stream that drops is
   * resumed where it stopped; where streams are unavailable (a buffering proxy), long polls take over.
   */
  async waitFor(task: string | AnsweredTask, options: WaitOptions = {}): Promise<TaskResource> {
    if (typeof task !== 'string' && terminal.has(task.status) && 'result' in task) return finishedResource(task);
    const taskId = typeof task === 'string' ? task : task.task_id;
    if (options.follow !== 'poll' && (await this.followEvents(taskId, options))) {
      // The stream's final status is logged a moment before the task's outcome is stored: wait for it.
      const finished = await this.task(taskId, { wait: 10, signal: options.signal });
      if (terminal.has(finished.status)) return finished;
    }
    for (;;) {
      const current = await this.task(taskId, { wait: pollSeconds, signal: options.signal });
      if (current.progress) options.onProgress?.(current.progress);
      if (terminal.has(current.status)) return current;
    }
  }

  readonly tasks = {
    /** A page of the tenant's tasks, newest first; pass `next_cursor` back as `cursor` for the next. */
    list: (query: TaskListQuery = {}): Promise<TaskPage> => this.json('GET', `/v1/tasks${queryString({ ...query, since: isoOf(query.since) })}`),
    /** Runs a FAILURE, REVOKED or EXPIRED task again as a new task (once): the new task. */
    retry: (taskId: string): Promise<TaskResource> => this.json('POST', `/v1/tasks/${encodeURIComponent(taskId)}/retry`),
    /** Runs every not-yet-retried task matching the filter again: the new tasks. */
    retryMatching: async (filter: RetryFilter = {}): Promise<TaskResource[]> =>
      (await this.json<{ tasks: TaskResource[] }>('POST', '/v1/tasks:retry', { body: { ...filter, since: isoOf(filter.since) } })).tasks,
    /**
     * Every status change and progress update of the tenant's tasks as they happen, until `signal`
     * aborts. A dropped stream is resumed where it stopped (Last-Event-ID); `lastEventId` starts
     * after an event seen earlier.
     */
    events: (options: { type?: TaskResource['type']; model?: string; lastEventId?: string; signal?: AbortSignal } = {}): AsyncGenerator<FeedEvent> =>
      this.feed(options),
  };

  readonly datasets = {
    list: async (): Promise<DatasetInfo[]> => (await this.json<{ datasets: DatasetInfo[] }>('GET', '/v1/datasets')).datasets,
    get: (name: string): Promise<DatasetInfo> => this.json('GET', `/v1/datasets/${encodeURIComponent(name)}`),
    /** Uploads (or replaces) a dataset: a CSV with a header row, or JSON rows; streamed, with progress. */
    put: (name: string, body: string | Uint8Array | ReadableStream<Uint8Array>, options: UploadOptions = {}): Promise<DatasetInfo> =>
      this.upload(`/v1/datasets/${encodeURIComponent(name)}`, body, options),
    delete: (name: string): Promise<void> => this.json('DELETE', `/v1/datasets/${encodeURIComponent(name)}`),
  };

  readonly models = {
    list: async (): Promise<ModelSummary[]> => (await this.json<{ models: ModelSummary[] }>('GET', '/v1/models')).models,
    show: (name: string): Promise<ModelInfo> => this.json('GET', `/v1/models/${encodeURIComponent(name)}`),
    /** A version by number, alias or `latest`. */
    version: (name: string, version: number | string): Promise<ModelVersionInfo> =>
      this.json('GET', `/v1/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(String(version))}`),
    deleteVersion: (name: string, version: number): Promise<void> =>
      this.json('DELETE', `/v1/models/${encodeURIComponent(name)}/versions/${version}`),
    alias: {
      /** Points the alias at a version (a number), or splits it between versions with an optional shadow. */
      set: (name: string, alias: string, target: number | AliasTarget): Promise<AliasInfo> =>
        this.json('PUT', `/v1/models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`, { body: typeof target === 'number' ? { version: target } : target }),
      /** Per version: requests, latency percentiles, a shadow's agreement, shed copies. */
      stats: (name: string, alias: string): Promise<AliasStats> =>
        this.json('GET', `/v1/models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}/stats`),
      delete: (name: string, alias: string): Promise<void> =>
        this.json('DELETE', `/v1/models/${encodeURIComponent(name)}/aliases/${encodeURIComponent(alias)}`),
    },
  };

  private submit(path: string, body: unknown, { wait }: SubmitOptions): Promise<AnsweredTask> {
    return this.json('POST', path, { body, headers: wait === undefined ? {} : { prefer: `wait=${wait}` } });
  }

  /** True once the stream showed a final status; false when streams are unavailable here. */
  private async followEvents(taskId: string, options: WaitOptions): Promise<boolean> {
    let lastId: string | undefined;
    for (let resumes = 0; resumes <= maxResumes; resumes++) {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) };
      let response: Response;
      try {
        response = await this.fetch('GET', `/v1/tasks/${encodeURIComponent(taskId)}/events`, { headers, signal: options.signal });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        continue;
      }
      if (response.status === 404) throw await TrainyardError.fromResponse(response);
      if (!response.ok || !response.headers.get('content-type')?.startsWith('text/event-stream') || !response.body) {
        await response.body?.cancel();
        return false;
      }
      try {
        for await (const message of sseMessages(response.body)) {
          if (message.id) lastId = message.id;
          const event = { type: message.event, ...JSON.parse(message.data) } as TaskEvent;
          if (event.type === 'progress') {
            const { type: _type, task_id: _id, at: _at, ...progress } = event;
            options.onProgress?.(progress);
          } else if (event.type === 'status') {
            options.onStatus?.(event);
            if (terminal.has(event.status)) return true;
          }
          resumes = 0;
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
      }
    }
    return false;
  }

  private async *feed({ type, model, lastEventId, signal }: { type?: string; model?: string; lastEventId?: string; signal?: AbortSignal }): AsyncGenerator<FeedEvent> {
    let lastId = lastEventId;
    for (let resumes = 0; resumes <= maxResumes; resumes++) {
      const headers: Record<string, string> = { accept: 'text/event-stream', ...(lastId ? { 'last-event-id': lastId } : {}) };
      let response: Response;
      try {
        response = await this.fetch('GET', `/v1/events${queryString({ type, model })}`, { headers, signal });
      } catch (error) {
        if (signal?.aborted) return;
        if (resumes === maxResumes) throw error;
        continue;
      }
      if (!response.ok || !response.body) throw await TrainyardError.fromResponse(response);
      try {
        for await (const message of sseMessages(response.body)) {
          const { type: taskType, ...data } = JSON.parse(message.data) as { type: FeedEvent['task_type'] };
          lastId = message.id;
          resumes = 0;
          yield { ...data, type: message.event, task_type: taskType, id: message.id! } as FeedEvent;
        }
      } catch (error) {
        if (signal?.aborted) return;
        if (resumes === maxResumes) throw error;
      }
    }
  }

  private async upload(path: string, body: string | Uint8Array | ReadableStream<Uint8Array>, options: UploadOptions): Promise<DatasetInfo> {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const total = bytes instanceof Uint8Array ? bytes.byteLength : options.size;
    let sent = 0;
    const counted = (bytes instanceof Uint8Array ? inChunks(bytes) : bytes).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          controller.enqueue(chunk);
          sent += chunk.byteLength;
          options.onProgress?.(sent, total);
        },
      }),
    );
    const headers = { 'content-type': options.contentType ?? 'text/csv', ...(total === undefined ? {} : { 'content-length': String(total) }) };
    return this.json('PUT', path, { rawBody: counted, headers });
  }

  private async json<T>(
    method: string,
    path: string,
    init: { body?: unknown; rawBody?: ReadableStream<Uint8Array>; headers?: Record<string, string>; signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    const response = await this.fetch(method, path, init).catch((error: unknown) => {
      if (init.signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new TrainyardError('unreachable', `cannot reach ${this.url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, 0);
    });
    if (!response.ok) throw await TrainyardError.fromResponse(response);
    const text = await response.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new TrainyardError('invalid_response', `${method} ${path} answered ${response.status} with a body that is not JSON`, response.status);
    }
  }

  private fetch(
    method: string,
    path: string,
    init: { body?: unknown; rawBody?: ReadableStream<Uint8Array>; headers?: Record<string, string>; signal?: AbortSignal | undefined },
  ): Promise<Response> {
    const json = init.body !== undefined;
    const headers = {
      ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      ...(json ? { 'content-type': 'application/json' } : {}),
      ...(this.seen === undefined ? {} : { [seenHeader]: this.seen.toString() }),
      ...init.headers,
    };
    const body = json ? JSON.stringify(init.body) : init.rawBody;
    // A streamed body needs half duplex (Node's fetch refuses it otherwise).
    const answered = fetch(`${this.url}${path}`, { method, headers, body, signal: init.signal ?? null, ...(init.rawBody ? { duplex: 'half' } : {}) } as RequestInit);
    return answered.then((response) => {
      const seen = response.headers.get(seenHeader);
      if (seen && /^\d{1,19}$/.test(seen) && (this.seen === undefined || BigInt(seen) > this.seen)) this.seen = BigInt(seen);
      return response;
    });
  }
}

/** A task already answered as finished; one answered from the cache was never queued, so it had no attempt. */
function finishedResource(task: AnsweredTask): TaskResource {
  const unrecorded = { progress: null, error: null, attempts: 0, failures: [], history: [], notifications: [], worker: null, started_at: null };
  return { ...task, ...Object.fromEntries(Object.entries(unrecorded).filter(([key]) => !(key in task))) } as TaskResource;
}

function isoOf(time: Date | string | undefined): string | undefined {
  return time instanceof Date ? time.toISOString() : time;
}

/** `?a=1&b=2` of the defined values, or nothing. */
function queryString(values: Record<string, string | number | undefined>): string {
  const defined = Object.entries(values).flatMap(([name, value]): [string, string][] => (value === undefined ? [] : [[name, String(value)]]));
  const query = new URLSearchParams(defined).toString();
  return query ? `?${query}` : '';
}

function inChunks(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.byteLength) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + uploadChunkBytes));
      offset += uploadChunkBytes;
    },
  });
}
