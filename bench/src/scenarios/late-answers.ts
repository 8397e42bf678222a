import type { TaskResource } from '@trainyard/shared/tasks';
import { predictBody } from '../settings.js';
import { forEachConcurrently, submitTask } from '../trainyard/tasks.js';
import type { TrainyardStack } from '../trainyard/stack.js';

export interface LateAnswers {
  samples: number;
  /** Answers that came more than `lateMs` after their task's finished_at. */
  late: number;
  /** The longest time from finished_at to the answer in the client's hands, ms. */
  maxMs: number;
  /** Answers the client asked for after finished_at, of all and of the late: their delay holds its own request's way to the API. */
  askedAfterFinish: { all: number; late: number };
}

export interface LateAnswerFigures {
  lateMs: number;
  /** One POST with `Prefer: wait`. */
  preferWait: LateAnswers;
  /** POST, then one GET /v1/tasks/{id}?wait=N. */
  getWait: LateAnswers;
}

export interface LateAnswerOptions {
  model: string;
  samples: number;
  concurrency: number;
  lateMs: number;
}

const waitSeconds = 10;

/**
 * How late the API answers a client waiting for a task, under load (many waits in flight): the
 * time from the task's own finished_at to the answer arriving, for both ways of waiting.
 */
export async function measureLateAnswers(stack: TrainyardStack, options: LateAnswerOptions): Promise<LateAnswerFigures> {
  const preferWait = await lateness(options, async () => {
    const askedAt = Date.now();
    const response = await stack.client.post<TaskResource>('/v1/predict', predictBody(options.model), { prefer: `wait=${waitSeconds}` });
    return { task: finishedAnswer(response.status, response.body, 'POST /v1/predict with Prefer: wait'), askedAt };
  });
  const getWait = await lateness(options, async () => {
    const taskId = await submitTask(stack.client, '/v1/predict', predictBody(options.model));
    const askedAt = Date.now();
    const response = await stack.client.get<TaskResource>(`/v1/tasks/${taskId}?wait=${waitSeconds}`);
    return { task: finishedAnswer(response.status, response.body, 'GET /v1/tasks/{id}?wait'), askedAt };
  });
  return { lateMs: options.lateMs, preferWait, getWait };
}

async function lateness(options: LateAnswerOptions, once: () => Promise<{ task: TaskResource; askedAt: number }>): Promise<LateAnswers> {
  const answers = await forEachConcurrently(Array.from({ length: options.samples }), options.concurrency, async () => {
    const { task, askedAt } = await once();
    const finishedAt = Date.parse(task.finished_at!);
    return { delayMs: Date.now() - finishedAt, askedAfterFinish: askedAt > finishedAt };
  });
  const late = answers.filter(({ delayMs }) => delayMs > options.lateMs);
  return {
    samples: answers.length,
    late: late.length,
    maxMs: Math.max(...answers.map(({ delayMs }) => delayMs)),
    askedAfterFinish: { all: answers.filter((answer) => answer.askedAfterFinish).length, late: late.filter((answer) => answer.askedAfterFinish).length },
  };
}

function finishedAnswer(status: number, task: TaskResource, what: string): TaskResource {
  if (status !== 200 || task.status !== 'SUCCESS' || !task.finished_at) throw new Error(`${what} answered ${status}: ${JSON.stringify(task)}`);
  return task;
}
