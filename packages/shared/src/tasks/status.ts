export const taskStatuses = ['PENDING', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED'] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export const terminalStatuses: ReadonlySet<TaskStatus> = new Set(['SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED']);

/** BullMQ job states as Job.getState() reports them. */
export type JobState =
  | 'completed'
  | 'failed'
  | 'active'
  | 'delayed'
  | 'prioritized'
  | 'waiting'
  | 'waiting-children'
  | 'unknown';
