import type { TaskResource, TaskStatus } from '@trainyard/shared/tasks';

export interface TaskEmail {
  subject: string;
  text: string;
  html: string;
}

/** What a train or predict result tells a reader; read defensively since `result` is untyped JSON. */
interface Outcome {
  model?: string;
  version?: number;
  algorithm?: string;
  metrics: [name: string, value: number][];
  predictions?: number;
  durationMs?: number;
}

const statusWords: Record<TaskStatus, string> = {
  PENDING: 'is pending',
  STARTED: 'started',
  RETRY: 'is being retried',
  SUCCESS: 'succeeded',
  FAILURE: 'failed',
  REVOKED: 'revoked',
  EXPIRED: 'expired',
};

/** Metrics worth a place in the subject, best first; otherwise the first one reported. */
const headlineMetrics = ['accuracy', 'r2'];
const maxSubjectDetail = 80;

/**
 * The email about a finished task. `model` names the model for tasks without a result (failed or
 * revoked ones), whose resource does not say which model they were for.
 */
export function renderTaskEmail(task: TaskResource, publicUrl: string, model?: string): TaskEmail {
  const outcome = outcomeOf(task.result);
  const modelName = outcome.model ?? model;
  const what = [task.type, modelName, outcome.version === undefined ? undefined : `v${outcome.version}`].filter(Boolean).join(' ');
  const headline = `${what} ${statusWords[task.status]}`;
  const detail = subjectDetail(task, outcome);
  const link = `${publicUrl.replace(/\/+$/, '')}/v1/tasks/${encodeURIComponent(task.task_id)}`;
  const duration = outcome.durationMs ?? elapsedMs(task.started_at, task.finished_at);

  const facts: [label: string, value: string | undefined][] = [
    ['Status', statusWords[task.status]],
    ['Task', task.task_id],
    ['Model', modelName && [modelName, outcome.version === undefined ? '' : `version ${outcome.version}`].join(' ').trim()],
    ['Algorithm', outcome.algorithm],
    ['Metrics', outcome.metrics.map(([name, value]) => `${name} ${formatNumber(value)}`).join(', ') || undefined],
    ['Predictions', outcome.predictions === undefined ? undefined : String(outcome.predictions)],
    ['Error', task.error ? `${task.error.message} (${task.error.code})` : undefined],
    ['Attempts', task.attempts > 1 ? String(task.attempts) : undefined],
    ['Duration', duration === undefined ? undefined : formatDuration(duration)],
    ['Finished', task.finished_at ?? undefined],
  ];
  const shown = facts.filter((fact): fact is [string, string] => !!fact[1]);

  return {
    subject: oneLine(`[Trainyard] ${headline}${detail ? ` (${detail})` : ''}`),
    text: [`${capitalized(headline)}.`, '', ...shown.map(([label, value]) => `${`${label}:`.padEnd(13)}${value}`), '', `Details: ${link}`, ''].join('\n'),
    html: [
      '<!doctype html><html><body style="font-family: sans-serif">',
      `<p>${escapeHtml(capitalized(headline))}.</p>`,
      '<table cellpadding="4">',
      ...shown.map(([label, value]) => `<tr><th align="left">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`),
      '</table>',
      `<p><a href="${escapeHtml(link)}">Task details</a></p>`,
      '</body></html>',
    ].join('\n'),
  };
}

function outcomeOf(result: unknown): Outcome {
  const fields = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {};
  const metrics = typeof fields.metrics === 'object' && fields.metrics !== null ? Object.entries(fields.metrics) : [];
  return {
    model: typeof fields.model === 'string' ? fields.model : undefined,
    version: typeof fields.version === 'number' ? fields.version : undefined,
    algorithm: typeof fields.algorithm === 'string' ? fields.algorithm : undefined,
    metrics: metrics.filter((metric): metric is [string, number] => typeof metric[1] === 'number'),
    predictions: Array.isArray(fields.predictions) ? fields.predictions.length : undefined,
    durationMs: typeof fields.duration_ms === 'number' ? fields.duration_ms : undefined,
  };
}

function subjectDetail(task: TaskResource, outcome: Outcome): string | undefined {
  if (task.status === 'FAILURE' && task.error) return truncated(task.error.message, maxSubjectDetail);
  if (outcome.predictions !== undefined) return `${outcome.predictions} prediction${outcome.predictions === 1 ? '' : 's'}`;
  const metric = headlineMetrics.map((name) => outcome.metrics.find(([metricName]) => metricName === name)).find(Boolean) ?? outcome.metrics[0];
  return metric && `${metric[0]} ${formatNumber(metric[1])}`;
}

function elapsedMs(from: string | null, to: string | null): number | undefined {
  return from && to ? Date.parse(to) - Date.parse(from) : undefined;
}

function formatNumber(value: number): string {
  return value.toLocaleString('en-US', { maximumSignificantDigits: 4, useGrouping: false });
}

function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${formatNumber(ms / 1_000)} s`;
  const seconds = Math.round(ms / 1_000);
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${seconds % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function truncated(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** Error messages may span lines; a subject may not. */
function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

function capitalized(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

const htmlEntities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => htmlEntities[char]!);
}
