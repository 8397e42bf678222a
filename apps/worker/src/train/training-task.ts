import type { MessagePort } from 'node:worker_threads';
import type { TrainedModel } from '@trainyard/ml/train';
import type { ResumePoint, TrainProgress, TrainJobData } from '@trainyard/shared/jobs';
import type { ErrorCode } from '@trainyard/shared/platform';
import type { S3StoreOptions } from '@trainyard/shared/storage';
import type { TraceCarrier } from '@trainyard/shared/tracing';

/** Enough for a thread to open the same object store as the main thread. */
export interface StorageSettings {
  url: string;
  s3: S3StoreOptions;
}

/** What the main thread hands a training thread. */
export interface TrainingTask {
  taskId: string;
  job: TrainJobData;
  storage: StorageSettings;
  /** A network saves a checkpoint at most this often (and resumes from one); 0: never. */
  checkpointIntervalMs: number;
  /** The thread reports progress and log lines here, and hears a stop request on it. */
  port: MessagePort;
  /** When tracing: where the thread sends its spans, and the context they belong to (the task's attempt). */
  trace?: { endpoint: string; carrier: TraceCarrier };
}

export type TrainingMessage = { type: 'progress'; progress: TrainProgress } | { type: 'log'; line: string } | { type: 'resume'; from: ResumePoint };

/** From the main thread: stop at the next batch. */
export type TrainingStop = { type: 'stop' };

/** What a training thread returns: the artifact files and what the registry records about them. */
export type TrainingOutcome = TrainedModel;

/**
 * A thread's answer. An error thrown in a thread reaches the main thread as a plain Error (structured
 * clone keeps no class and no code), so AppErrors come back as data and keep their code there.
 */
export type TrainingReply = { ok: true; outcome: TrainingOutcome } | { ok: false; error: { code: ErrorCode; message: string } };
