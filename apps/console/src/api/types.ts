/** The parts of the public API's resources the console shows (README "HTTP API", docs/api.md). */

export type TaskStatus = 'PENDING' | 'STARTED' | 'RETRY' | 'SUCCESS' | 'FAILURE' | 'REVOKED' | 'EXPIRED';
export const taskStatuses: TaskStatus[] = ['PENDING', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED'];
export const finalStatuses = new Set<TaskStatus>(['SUCCESS', 'FAILURE', 'REVOKED', 'EXPIRED']);

export interface TaskError {
  code?: string;
  message: string;
}

export interface Progress {
  percent: number;
  epoch?: number;
  epochs?: number;
  loss?: number;
  val_loss?: number;
  phase?: 'fit' | 'refit';
}

export interface Task {
  task_id: string;
  type: string;
  status: TaskStatus;
  progress: Progress | null;
  result: unknown;
  error: TaskError | null;
  attempts: number;
  failures: (TaskError & { attempt: number; at: string })[];
  history: { status: TaskStatus; attempt: number; at: string; worker?: string; error?: TaskError }[];
  notifications: { channel: string; status: string; attempts: number; last_error: string | null }[];
  worker: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** From the task list API: the model a training or prediction is about. */
  model?: string;
  version?: number;
  retry_of?: string | null;
  retried_by?: string | null;
}

export interface TaskPage {
  tasks: Task[];
  next_cursor: string | null;
}

export interface LossCurve {
  unit: 'epoch' | 'iteration';
  loss: number[];
  val_loss?: number[];
  best_step?: number;
  refit_loss?: number[];
}

export interface ModelVersion {
  model: string;
  version: number;
  algorithm: string;
  task: 'classification' | 'regression';
  input?: 'text' | 'tabular';
  feature_names: string[];
  classes?: (string | number)[];
  metrics: Record<string, number>;
  validation?: { rows: number; metrics: Record<string, number> };
  training?: { rows: number; refit: boolean; metrics: Record<string, number> };
  loss_curve?: LossCurve;
  data_hash?: string;
  created_at: string;
  aliases: string[];
}

export interface ModelSummary {
  name: string;
  latest_version: number;
  aliases: Record<string, number>;
  updated_at: string;
}

export interface ModelDetails extends ModelSummary {
  versions: ModelVersion[];
}

/** GET /v1/models/{name}/aliases/{alias}/stats: a split or shadowed alias's traffic per version. */
export interface AliasStats {
  route: { versions: Record<string, number>; shadow?: number } | null;
  shed: number;
  versions: {
    version: number;
    role: 'primary' | 'shadow';
    requests: number;
    /** Primaries: how many of the requests the cache answered. */
    cached?: number;
    latency_ms: { p50: number; p95: number; samples: number } | null;
    agreement?: { compared: number; same_label_rate?: number; mean_absolute_difference?: number };
  }[];
}

export interface Dataset {
  name: string;
  rows: number;
  columns: { name: string; type: 'number' | 'string' }[];
  bytes: number;
  created_at: string;
  builtin?: boolean;
  target?: string;
  description?: string;
}
