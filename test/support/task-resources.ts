import type { TaskResource } from '@trainyard/shared/tasks';

/** A finished training as the status endpoint shows it; tests override what they are about. */
export function finishedTask(overrides: Partial<TaskResource> = {}): TaskResource {
  return {
    task_id: 'train-00112233445566778899aabbccddeeff',
    type: 'train',
    status: 'SUCCESS',
    progress: null,
    result: { model: 'iris', version: 3, algorithm: 'mlp', metrics: { accuracy: 0.97 }, duration_ms: 4_210 },
    error: null,
    attempts: 1,
    failures: [],
    history: [],
    notifications: [],
    worker: 'worker-1:42',
    created_at: '2025-06-01T12:00:00.000Z',
    started_at: '2025-06-01T12:00:01.000Z',
    finished_at: '2025-06-01T12:00:05.210Z',
    ...overrides,
  };
}
