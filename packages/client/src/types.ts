import type { DatasetInfo } from '@trainyard/shared/datasets';
import type { BatchProgress, embedRequest, predictRequest, PredictResult, TrainProgress, trainRequest, TrainResult } from '@trainyard/shared/jobs';
import type { AliasRoute, AliasStats, aliasTarget, ModelDetails, ModelSummary, ModelVersion } from '@trainyard/shared/models';
import type { ErrorIssue } from '@trainyard/shared/platform';
import type { TaskResource, TaskStatus } from '@trainyard/shared/tasks';
import type { z } from 'zod';

/**
 * The client's types are the API's own: request bodies are the input side of the zod schemas the
 * API validates with, resources the interfaces it builds its answers from. Nothing is described twice.
 */
export type TrainRequest = z.input<typeof trainRequest>;
export type PredictRequest = z.input<typeof predictRequest>;
export type EmbedRequest = z.input<typeof embedRequest>;
/** Where an alias points: `{ version: 3 }`, or a split `{ versions: { 3: 90, 4: 10 } }`, either with an optional `shadow`. */
export type AliasTarget = z.input<typeof aliasTarget>;

export type { AliasRoute, AliasStats, BatchProgress, DatasetInfo, ErrorIssue, ModelSummary, PredictResult, TaskResource, TaskStatus, TrainProgress, TrainResult };

/** How far a running task is: a training's epochs, a batch's rows. */
export type TaskProgress = TrainProgress | BatchProgress;

/** What a submit answers at once (202): the task as it was queued. */
export type SubmittedTask = Pick<TaskResource, 'task_id' | 'type' | 'created_at'> & { status: 'PENDING'; links: { self: string } };

/** A model version as the API shows it: its metadata and the aliases pointing to it. */
export type ModelVersionInfo = ModelVersion & { aliases: string[] };
export type ModelInfo = Omit<ModelDetails, 'versions'> & { versions: ModelVersionInfo[] };

export interface AliasInfo {
  model: string;
  alias: string;
  /** The version a plain lookup of the alias names: for a split, the one with the largest weight. */
  version: number;
  versions: Record<string, number>;
  shadow?: number;
  aliases: Record<string, number>;
  routes: Record<string, AliasRoute>;
  updated_at: string;
}

/** GET /v1/tasks: which of the tenant's tasks, a page at a time. */
export interface TaskListQuery {
  status?: TaskStatus;
  type?: TaskResource['type'];
  model?: string;
  /** Tasks submitted at or after this time. */
  since?: Date | string;
  /** 1 … 200, default 50. */
  limit?: number;
  /** `next_cursor` of the page before. */
  cursor?: string;
}

export interface TaskPage {
  tasks: TaskResource[];
  next_cursor: string | null;
}

/** POST /v1/tasks:retry: which failed (revoked, expired) tasks to run again. */
export interface RetryFilter {
  status?: 'FAILURE' | 'REVOKED' | 'EXPIRED';
  type?: TaskResource['type'];
  model?: string;
  since?: Date | string;
  /** 1 … 1000, default 100. */
  limit?: number;
}

/** One message of the tenant's feed (GET /v1/events): a task's event with the task it is about. */
export type FeedEvent = TaskEvent & { id: string; task_type: TaskResource['type']; model: string | null };

/** One message of a task's event stream (GET /v1/tasks/{id}/events). */
export type TaskEvent =
  | { type: 'status'; task_id: string; status: TaskStatus; attempt: number; at: string; worker?: string; error?: TaskResource['error'] }
  | ({ type: 'progress'; task_id: string; at: string } & TaskProgress);
