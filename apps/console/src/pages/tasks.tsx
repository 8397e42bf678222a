import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.js';
import { useEventStream } from '../api/live.js';
import type { SseMessage } from '@trainyard/client/sse';
import { taskStatuses, type Progress, type Task, type TaskPage, type TaskStatus } from '../api/types.js';
import { go, href } from '../router.js';
import { ErrorBox } from '../ui/error-box.js';
import { when } from '../ui/format.js';
import { ProgressBar } from '../ui/progress-bar.js';

interface Filters {
  status: string;
  type: string;
  model: string;
}

const query = (filters: Filters, extra: Record<string, string> = {}) => {
  const params = new URLSearchParams(Object.entries({ ...filters, ...extra }).filter(([, value]) => value !== ''));
  return params.size ? `?${params}` : '';
};

/** The tenant's tasks, newest first, kept current by the tenant-wide event stream. */
export function TasksPage() {
  const [filters, setFilters] = useState<Filters>({ status: '', type: '', model: '' });
  /** What the form holds until Filter applies it: live updates re-render the page meanwhile. */
  const [draft, setDraft] = useState<Filters>(filters);
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [liveError, setLiveError] = useState<ApiError | null>(null);
  const known = useRef(new Set<string>());

  const load = useCallback(async () => {
    try {
      const page = await api<TaskPage>(`/v1/tasks${query(filters, { limit: '50' })}`);
      known.current = new Set(page.tasks.map((task) => task.task_id));
      setTasks(page.tasks);
      setCursor(page.next_cursor);
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  }, [filters]);

  useEffect(() => void load(), [load]);

  const more = async () => {
    try {
      const page = await api<TaskPage>(`/v1/tasks${query(filters, { limit: '50', cursor: cursor! })}`);
      page.tasks.forEach((task) => known.current.add(task.task_id));
      setTasks((shown) => [...(shown ?? []), ...page.tasks]);
      setCursor(page.next_cursor);
    } catch (failure) {
      setError(failure);
    }
  };

  // A task the list has not shown yet reloads the first page; updates to shown ones change their row.
  const reloading = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const onEvent = ({ event, data }: SseMessage) => {
    const fields = JSON.parse(data) as { task_id: string; status?: TaskStatus } & Progress;
    if (!known.current.has(fields.task_id)) {
      clearTimeout(reloading.current);
      reloading.current = setTimeout(() => void load(), 250);
      return;
    }
    setTasks((shown) =>
      shown
        ? shown.map((task) => {
            if (task.task_id !== fields.task_id) return task;
            if (event === 'progress') return { ...task, progress: fields };
            return { ...task, status: fields.status ?? task.status, ...(fields.status === 'SUCCESS' ? { progress: null } : {}) };
          })
        : shown,
    );
  };
  const live = tasks ? `/v1/events${query({ status: '', type: filters.type, model: filters.model })}` : null;
  useEventStream(live, onEvent, setLiveError);
  useEffect(() => () => clearTimeout(reloading.current), []);

  return (
    <section aria-labelledby="tasks-title">
      <h1 id="tasks-title">Tasks</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters({ ...draft, model: draft.model.trim() });
        }}
      >
        <label>
          Status
          <select name="status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.currentTarget.value })}>
            <option value="">any</option>
            {taskStatuses.map((status) => (
              <option key={status}>{status}</option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select name="type" value={draft.type} onChange={(e) => setDraft({ ...draft, type: e.currentTarget.value })}>
            <option value="">any</option>
            <option>train</option>
            <option>predict</option>
            <option>batch</option>
          </select>
        </label>
        <label>
          Model
          <input name="model" value={draft.model} onInput={(e) => setDraft({ ...draft, model: e.currentTarget.value })} placeholder="any" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <OpenTask />
      <ErrorBox error={error} />
      {liveError && (
        <p class="notice" role="status">
          Live updates are off: {liveError.code}: {liveError.message}
        </p>
      )}
      {tasks && (
        <div class="scroll">
          <table>
            <caption class="sr-only">Tasks, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Type</th>
                <th scope="col">Model</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {tasks.map((task) => (
                <tr key={task.task_id} data-task={task.task_id}>
                  <td>
                    <a href={href('tasks', task.task_id)}>
                      <code>{task.task_id.slice(0, 16)}…</code>
                    </a>
                  </td>
                  <td>{task.type}</td>
                  <td>{task.model ? <a href={href('models', task.model)}>{task.model}{task.version ? ` v${task.version}` : ''}</a> : '—'}</td>
                  <td>
                    <span class={`status status-${task.status}`}>{task.status}</span>
                  </td>
                  <td>{task.status === 'STARTED' && task.progress ? <ProgressBar percent={task.progress.percent} label={`progress of ${task.task_id}`} /> : ''}</td>
                  <td>{when(task.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!tasks.length && <p>No tasks match.</p>}
          {cursor && (
            <button type="button" onClick={more}>
              Load more
            </button>
          )}
        </div>
      )}
    </section>
  );
}

function OpenTask() {
  const [id, setId] = useState('');
  return (
    <form
      class="filters"
      onSubmit={(event) => {
        event.preventDefault();
        if (id.trim()) go('tasks', id.trim());
      }}
    >
      <label>
        Task id
        <input name="task-id" value={id} onInput={(e) => setId(e.currentTarget.value)} placeholder="train-…" />
      </label>
      <button type="submit">Open</button>
    </form>
  );
}
