import { z } from 'zod';
import { taskProgress, taskResource, taskStatusEvent, taskTypes } from '@trainyard/shared/tasks';
import { errors, headers, json, jsonBody, jsonSchema, operation, parameters, taskIdParameter, type Paths } from '../openapi/spec.js';
import { feedQuery } from './feed-router.js';
import { listQuery, taskPage } from './list-tasks.js';
import { bulkRetryRequest } from './retry-task.js';

/** One Server-Sent Events message: its `event:` name, `id:` and parsed `data:`, which says which task it is `about`. */
function streamMessage(about: z.ZodObject) {
  const data = {
    status: taskStatusEvent.omit({ type: true }).extend(about.shape),
    progress: z.intersection(taskProgress, about.extend({ at: z.iso.datetime() })),
  };
  return z.union(Object.entries(data).map(([event, schema]) => z.object({ event: z.literal(event), id: z.string().optional(), data: schema })));
}

const sseNote = 'OpenAPI 3.1 cannot describe a stream item by item: the schema given is that of one message (its `event` name, its `id` and its parsed `data`).';
const lastEventId = { name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume after this event id (`<ms>-<seq>`).', schema: { type: 'string' } };

export const taskPaths: Paths = {
  '/v1/tasks': {
    get: operation({
      summary: "List the tenant's tasks",
      description: 'Newest first, a page at a time: `next_cursor` is the `cursor` of the following page.',
      tag: 'Tasks',
      scope: 'read',
      parameters: parameters('query', listQuery.shape),
      responses: { '200': json('A page of tasks.', taskPage), ...errors('invalid_request') },
    }),
  },
  '/v1/tasks:retry': {
    post: operation({
      summary: 'Retry every failed task matching a filter',
      description: 'A dead-letter workflow without a second queue: each matching task is run again as a new task.',
      tag: 'Tasks',
      scope: 'submit',
      requestBody: jsonBody(bulkRetryRequest),
      responses: { '202': json('The new tasks.', z.object({ tasks: z.array(taskResource) })), ...errors('invalid_request', 'invalid_json', 'unsupported_media_type', 'quota_exceeded') },
    }),
  },
  '/v1/tasks/{taskId}': {
    get: operation({
      summary: 'Read a task',
      description: 'Any task type. With `?wait=N`, holds the answer until the task finishes or N seconds pass: 200 when it finished, 202 when not yet.',
      tag: 'Tasks',
      scope: 'read',
      parameters: [taskIdParameter, { name: 'wait', in: 'query', required: false, description: 'Seconds to wait for the end, 0 to 60.', schema: { type: 'integer', minimum: 0, maximum: 60 } }],
      responses: {
        '200': json('The task (finished, with ?wait).', taskResource),
        '202': json('With ?wait: the task, not finished within the wait.', taskResource),
        ...errors('invalid_request', 'not_found', 'too_many_streams'),
      },
    }),
  },
  '/v1/tasks/{taskId}/cancel': {
    post: operation({
      summary: 'Cancel a task',
      description: 'A queued task is revoked at once (200); a running one is asked to stop (202 until its worker has).',
      tag: 'Tasks',
      scope: 'manage',
      parameters: [taskIdParameter],
      responses: {
        '200': json('Revoked.', taskResource),
        '202': json('The worker running it has yet to stop.', taskResource),
        ...errors('not_found', 'already_finished'),
      },
    }),
  },
  '/v1/tasks/{taskId}/retry': {
    post: operation({
      summary: 'Retry a task',
      description: 'Runs a failed (or revoked, or expired) task again as a new task, once.',
      tag: 'Tasks',
      scope: 'submit',
      parameters: [taskIdParameter],
      responses: { '202': json('The new task.', taskResource, { Location: headers.location }), ...errors('not_found', 'conflict', 'quota_exceeded') },
    }),
  },
  '/v1/events': {
    get: operation({
      summary: "Follow all the tenant's tasks",
      description: [
        "Server-Sent Events of every status change and progress update of the tenant's tasks, live; each message's data names its task, type and model. Last-Event-ID replays what the feed still holds after that id.",
        sseNote,
      ].join('\n\n'),
      tag: 'Tasks',
      scope: 'read',
      parameters: [...parameters('query', feedQuery.shape), lastEventId],
      responses: {
        '200': {
          description: 'The event stream, until the client goes.',
          content: { 'text/event-stream': { schema: jsonSchema(streamMessage(z.object({ task_id: z.string(), type: z.enum(taskTypes), model: z.string().nullable() }))) } },
        },
        ...errors('invalid_request', 'too_many_streams'),
      },
    }),
  },
  '/v1/tasks/{taskId}/events': {
    get: operation({
      summary: "Follow a task's events",
      description: [
        'Server-Sent Events until the task ends. Without Last-Event-ID the stream opens with the current state; with it, it replays what came after.',
        '`event: status` carries a status change (a final one ends the stream), `event: progress` a progress update; each `data:` is JSON. 204 when a finished task has nothing after Last-Event-ID.',
        sseNote,
      ].join('\n\n'),
      tag: 'Tasks',
      scope: 'read',
      parameters: [taskIdParameter, lastEventId],
      responses: {
        '200': { description: 'The event stream.', content: { 'text/event-stream': { schema: jsonSchema(streamMessage(z.object({ task_id: z.string() }))) } } },
        '204': { description: 'The task has finished and nothing came after Last-Event-ID.' },
        ...errors('invalid_request', 'not_found', 'too_many_streams'),
      },
    }),
  },
};
