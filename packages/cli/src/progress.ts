import cliProgress from 'cli-progress';
import type { TaskEvent, TaskProgress as Progress } from '@trainyard/client';
import { formatBytes, formatNumber, type Output } from './output.js';

type StatusEvent = Extract<TaskEvent, { type: 'status' }>;

export interface TaskProgress {
  onStatus(event: StatusEvent): void;
  onProgress(progress: Progress): void;
  stop(): void;
}

/** On a terminal the bar redraws in place; elsewhere (CI logs) it prints a line every few seconds. */
const barOptions = {
  stream: process.stderr,
  hideCursor: true,
  barsize: 30,
  etaBuffer: 20,
  noTTYOutput: true,
  notTTYSchedule: 2_000,
};

/** A training's live progress on stderr: epoch, loss and ETA from the task's event stream. */
export function trainingProgress(taskId: string, output: Output): TaskProgress {
  if (output.json) return { onStatus: () => {}, onProgress: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { ...barOptions, format: '{phase} {bar} {percentage}% | epoch {value}/{total} | loss {loss} | ETA {eta_formatted}' },
    cliProgress.Presets.shades_classic,
  );
  let running = false;
  let phase: string | undefined;
  output.note(`${taskId} queued`);
  return {
    onStatus(event) {
      if (event.status === 'RETRY') output.note(`attempt ${event.attempt} failed (${event.error?.message ?? 'unknown error'}); retrying`);
      else if (event.status === 'STARTED' && !running) output.note(`started on ${event.worker ?? 'a worker'}`);
    },
    onProgress(progress) {
      // A training's progress has epochs; any other task's has none to draw.
      if (!('epoch' in progress)) return;
      const { epoch, epochs, loss } = progress;
      // A refit on every row follows the fit: its epochs count from 1 again, on a bar of its own.
      const step = progress.phase === 'refit' ? 'refitting' : 'training';
      const payload = { loss: formatNumber(loss), phase: step };
      if (!running || step !== phase) bar.start(epochs, epoch, payload);
      else bar.update(epoch, payload);
      running = true;
      phase = step;
    },
    stop() {
      if (running) bar.stop();
    },
  };
}

/** An upload's progress on stderr, in bytes. */
export function uploadProgress(total: number | undefined, output: Output) {
  if (output.json || total === undefined) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      ...barOptions,
      format: 'uploading {bar} {percentage}% | {sent} of {size} | ETA {eta_formatted}',
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { sent: formatBytes(0), size: formatBytes(total) });
  return {
    update: (sent: number) => bar.update(sent, { sent: formatBytes(sent) }),
    stop: () => bar.stop(),
  };
}
