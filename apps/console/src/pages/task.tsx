import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.js';
import { useEventStream } from '../api/live.js';
import type { SseMessage } from '@trainyard/client/sse';
import { finalStatuses, type ModelVersion, type Progress, type Task, type TaskStatus } from '../api/types.js';
import { go, href } from '../router.js';
import { LossChart } from '../ui/chart.js';
import { ErrorBox } from '../ui/error-box.js';
import { when } from '../ui/format.js';
import { ProgressBar } from '../ui/progress-bar.js';
import { FinalCurve } from './model.js';

/** Loss per step of each phase, as progress events arrived. */
interface LiveCurve {
  fit: (number | null)[];
  refit: (number | null)[];
  val: (number | null)[];
}

function withPoint(curve: LiveCurve, progress: Progress): LiveCurve {
  if (progress.epoch === undefined || progress.loss === undefined) return curve;
  const at = progress.epoch - 1;
  const set = (values: (number | null)[], value: number) => {
    const copy = values.slice();
    while (copy.length < at) copy.push(null);
    copy[at] = value;
    return copy;
  };
  const phase = progress.phase === 'refit' ? 'refit' : 'fit';
  return { ...curve, [phase]: set(curve[phase], progress.loss), ...(progress.val_loss !== undefined ? { val: set(curve.val, progress.val_loss) } : {}) };
}

/** One task: live status, progress and loss while it runs; history, failures, result and notifications. */
export function TaskPage({ taskId }: { taskId: string }) {
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [curve, setCurve] = useState<LiveCurve>({ fit: [], refit: [], val: [] });
  const [liveError, setLiveError] = useState<ApiError | null>(null);
  const path = `/v1/tasks/${encodeURIComponent(taskId)}`;

  // Reads may answer out of order (a cancel's read, then a status event's): only the latest applies,
  // or a read taken before REVOKED could land after it and leave the page showing STARTED.
  const latestLoad = useRef(0);
  const load = async () => {
    const mine = ++latestLoad.current;
    try {
      const read = await api<Task>(path);
      if (mine === latestLoad.current) setTask(read);
    } catch (failure) {
      if (mine === latestLoad.current) setError(failure);
    }
  };
  useEffect(() => void load(), [taskId]);

  const onEvent = ({ event, data }: SseMessage) => {
    const fields = JSON.parse(data) as { status?: TaskStatus; attempt?: number } & Progress;
    if (event === 'progress') {
      setCurve((current) => withPoint(current, fields));
      setTask((current) => current && { ...current, progress: fields });
    } else if (event === 'status' && fields.status) {
      setTask((current) => current && { ...current, status: fields.status! });
      // The full resource has the history, result and failures the event only hints at.
      void load();
    }
  };
  // Replays the whole event log (after id 0-0), so the chart starts from the first epoch.
  useEventStream(task ? `${path}/events` : null, onEvent, setLiveError, '0-0');

  const act = async (action: 'cancel' | 'retry') => {
    setActionError(null);
    try {
      const answer = await api<Task>(`${path}/${action}`, { method: 'POST' });
      if (action === 'retry' && answer.task_id !== taskId) go('tasks', answer.task_id);
      else await load();
    } catch (failure) {
      setActionError(failure);
    }
  };

  if (error) return <ErrorBox error={error} />;
  if (!task) return <p role="status">Loading task…</p>;
  const result = task.result as { model?: string; version?: number } | null;
  const running = !finalStatuses.has(task.status);
  return (
    <section aria-labelledby="task-title">
      <p>
        <a href={href('tasks')}>← Tasks</a>
      </p>
      <h1 id="task-title">
        Task <code>{task.task_id}</code>
      </h1>
      <dl class="facts">
        <dt>Status</dt>
        <dd>
          <span class={`status status-${task.status}`} data-testid="task-status">
            {task.status}
          </span>
        </dd>
        <dt>Type</dt>
        <dd>{task.type}</dd>
        <dt>Attempts</dt>
        <dd>{task.attempts}</dd>
        <dt>Worker</dt>
        <dd>{task.worker ?? '—'}</dd>
        <dt>Created</dt>
        <dd>{when(task.created_at)}</dd>
        <dt>Finished</dt>
        <dd>{when(task.finished_at)}</dd>
        {task.retry_of && (
          <>
            <dt>Retry of</dt>
            <dd>
              <a href={href('tasks', task.retry_of)}>{task.retry_of}</a>
            </dd>
          </>
        )}
        {task.retried_by && (
          <>
            <dt>Retried by</dt>
            <dd>
              <a href={href('tasks', task.retried_by)}>{task.retried_by}</a>
            </dd>
          </>
        )}
      </dl>
      {task.status === 'STARTED' && task.progress && (
        <p>
          <ProgressBar percent={task.progress.percent} label="training progress" />
          {task.progress.epoch !== undefined && (
            <span>
              {' '}
              {task.progress.phase ?? 'step'} {task.progress.epoch}/{task.progress.epochs}, loss {task.progress.loss?.toPrecision(4)}
            </span>
          )}
        </p>
      )}
      <div class="actions">
        <button type="button" disabled={!running} onClick={() => act('cancel')}>
          Cancel
        </button>
        <button type="button" disabled={running} onClick={() => act('retry')}>
          Retry
        </button>
      </div>
      <ErrorBox error={actionError} />
      {liveError && running && (
        <p class="notice" role="status">
          Live updates are off: {liveError.code}: {liveError.message}
        </p>
      )}
      {task.type === 'train' && (curve.fit.length > 0 || running) && (
        <LossChart
          title={running ? 'Loss, live' : 'Loss as it was reported'}
          lines={[
            { label: 'loss', values: curve.fit, color: '#1f5fbf' },
            ...(curve.val.length ? [{ label: 'val_loss', values: curve.val, color: '#b3261e' }] : []),
            ...(curve.refit.length ? [{ label: 'refit loss', values: curve.refit, color: '#2e7d32', dash: [6, 4] }] : []),
          ]}
          xLabel="epoch"
        />
      )}
      {task.type === 'train' && task.status === 'SUCCESS' && result?.model && result.version && <TrainedVersion model={result.model} version={result.version} />}
      {task.error && (
        <>
          <h2>Error</h2>
          <ErrorBox error={new ApiError(0, task.error.code ?? 'error', task.error.message)} />
        </>
      )}
      <h2>History</h2>
      <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Attempt</th>
            <th scope="col">At</th>
            <th scope="col">Worker</th>
          </tr>
        </thead>
        <tbody>
          {task.history.map((entry, i) => (
            <tr key={i}>
              <td>{entry.status}</td>
              <td>{entry.attempt}</td>
              <td>{when(entry.at)}</td>
              <td>{entry.worker ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      <h2>Failures</h2>
      {task.failures.length ? (
        <ul>
          {task.failures.map((failure) => (
            <li key={failure.attempt}>
              Attempt {failure.attempt} ({when(failure.at)}): <strong>{failure.code ?? 'error'}</strong>: {failure.message}
            </li>
          ))}
        </ul>
      ) : (
        <p>No attempt failed.</p>
      )}
      <h2>Notifications</h2>
      {task.notifications.length ? (
        <ul>
          {task.notifications.map((note) => (
            <li key={note.channel}>
              {note.channel}: {note.status} after {note.attempts} attempt(s){note.last_error ? ` (${note.last_error})` : ''}
            </li>
          ))}
        </ul>
      ) : (
        <p>None asked for.</p>
      )}
      <h2>Result</h2>
      <pre class="json">{task.result === null ? '—' : JSON.stringify(task.result, null, 2)}</pre>
    </section>
  );
}

function TrainedVersion({ model, version }: { model: string; version: number }) {
  const [found, setFound] = useState<ModelVersion | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<ModelVersion>(`/v1/models/${encodeURIComponent(model)}/versions/${version}`).then(setFound, setError);
  }, [model, version]);
  return (
    <>
      <h2>
        Model <a href={href('models', model)}>{model}</a> version {version}
      </h2>
      <ErrorBox error={error} />
      {found?.loss_curve && <FinalCurve version={found} />}
    </>
  );
}
