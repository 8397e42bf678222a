import { z } from 'zod';
import { taskProgress, taskResource, taskStatusEvent } from '@trainyard/shared/tasks';
import { errors, json, jsonSchema, operation, taskIdParameter, type Paths } from '../openapi/spec.js';

/** The `data` of each Server-Sent Event, by its `event:` name. */
export const taskStreamEvents = {
  status: taskStatusEvent.omit({ type: true }).extend({ task_id: z.string() }),
  progress: z.intersection(taskProgress, z.object({ task_id: z.string(), at: z.iso.datetime() })),
};

const streamMessage = z.union(
  Object.entries(taskStreamEvents).map(([event, data]) => z.object({ event: z.literal(event), id: z.string().optional(), data })),
);

export const taskPaths: Paths = {
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
  '/v1/tasks/{taskId}/events': {
    get: operation({
      summary: "Follow a task's events",
      description: [
        'Server-Sent Events until the task ends. Without Last-Event-ID the stream opens with the current state; with it, it replays what came after.',
        '`event: status` carries a status change (a final one ends the stream), `event: progress` a progress update; each `data:` is JSON. 204 when a finished task has nothing after Last-Event-ID.',
        'OpenAPI 3.1 cannot describe a stream item by item: the schema given is that of one message (its `event` name, its `id` and its parsed `data`).',
      ].join('\n\n'),
      tag: 'Tasks',
      scope: 'read',
      parameters: [taskIdParameter, { name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume after this event id (`<ms>-<seq>`).', schema: { type: 'string' } }],
      responses: {
        '200': { description: 'The event stream.', content: { 'text/event-stream': { schema: jsonSchema(streamMessage) } } },
        '204': { description: 'The task has finished and nothing came after Last-Event-ID.' },
        ...errors('invalid_request', 'not_found', 'too_many_streams'),
      },
    }),
  },
};
