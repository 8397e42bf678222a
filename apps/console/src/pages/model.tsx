import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api/client.js';
import type { AliasStats, ModelDetails, ModelVersion, Task } from '../api/types.js';
import { LossChart, type Line } from '../ui/chart.js';
import { ErrorBox } from '../ui/error-box.js';
import { figure, when } from '../ui/format.js';

const production = 'production';
const palette = ['#1f5fbf', '#b3261e', '#2e7d32', '#7b1fa2'];

/** A version's final curve: training loss and, when rows were held out, validation loss. */
export function FinalCurve({ version }: { version: ModelVersion }) {
  const curve = version.loss_curve!;
  return (
    <LossChart
      title={`Final loss curve of version ${version.version}`}
      xLabel={curve.unit}
      lines={[
        { label: 'loss', values: curve.loss, color: palette[0]! },
        ...(curve.val_loss ? [{ label: 'val_loss', values: curve.val_loss, color: palette[1]! }] : []),
      ]}
    />
  );
}

function curvesOf(version: ModelVersion, color: string): Line[] {
  const curve = version.loss_curve;
  if (!curve) return [];
  return [
    { label: `v${version.version} loss`, values: curve.loss, color },
    ...(curve.val_loss ? [{ label: `v${version.version} val_loss`, values: curve.val_loss, color, dash: [6, 4] }] : []),
  ];
}

/** One model: its versions, two of them compared, its aliases (with promotion and stats) and a try-it form. */
export function ModelPage({ name }: { name: string }) {
  const [model, setModel] = useState<ModelDetails | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [compare, setCompare] = useState<[number, number] | null>(null);
  const [promoting, setPromoting] = useState<ModelVersion | null>(null);
  const path = `/v1/models/${encodeURIComponent(name)}`;

  const load = async () => {
    try {
      const found = await api<ModelDetails>(path);
      setModel(found);
      setCompare((current) => current ?? [found.versions.at(-2)?.version ?? found.latest_version, found.latest_version]);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => void load(), [name]);

  if (error) return <ErrorBox error={error} />;
  if (!model || !compare) return <p role="status">Loading model…</p>;
  const byNumber = new Map(model.versions.map((version) => [version.version, version]));
  const metricNames = [...new Set(model.versions.flatMap((version) => Object.keys(version.metrics)))];
  const [a, b] = compare.map((n) => byNumber.get(n));

  return (
    <section aria-labelledby="model-title">
      <h1 id="model-title">Model {model.name}</h1>
      <h2>Versions</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Algorithm</th>
              {metricNames.map((metric) => (
                <th scope="col" key={metric}>
                  {metric}
                </th>
              ))}
              <th scope="col">Rows</th>
              <th scope="col">Data hash</th>
              <th scope="col">Created</th>
              <th scope="col">Aliases</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {model.versions.map((version) => (
              <tr key={version.version} data-version={version.version}>
                <td>v{version.version}</td>
                <td>{version.algorithm}</td>
                {metricNames.map((metric) => (
                  <td key={metric}>{figure(version.metrics[metric])}</td>
                ))}
                <td>{version.training?.rows ?? version.validation?.rows ?? '—'}</td>
                <td>{version.data_hash ? <code title={version.data_hash}>{version.data_hash.slice(0, 12)}</code> : '—'}</td>
                <td>{when(version.created_at)}</td>
                <td>{version.aliases.join(', ') || '—'}</td>
                <td>
                  {!version.aliases.includes(production) && (
                    <button type="button" onClick={() => setPromoting(version)} aria-label={`Promote v${version.version} to production`}>
                      Promote to production
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {promoting && (
        <Promotion
          modelPath={path}
          from={model.aliases[production] === undefined ? undefined : byNumber.get(model.aliases[production]!)}
          to={promoting}
          onDone={(moved) => {
            setPromoting(null);
            if (moved) void load();
          }}
        />
      )}

      <h2>Compare loss curves</h2>
      <div class="filters">
        {(['First', 'Second'] as const).map((label, i) => (
          <label key={label}>
            {label} version
            <select
              value={compare[i]}
              onChange={(event) => {
                const next = [...compare] as [number, number];
                next[i] = Number(event.currentTarget.value);
                setCompare(next);
              }}
            >
              {model.versions.map((version) => (
                <option key={version.version} value={version.version}>
                  v{version.version}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
      {a && b && (a.loss_curve || b.loss_curve) ? (
        <LossChart title={`Loss of v${a.version} and v${b.version}`} xLabel={a.loss_curve?.unit ?? b.loss_curve?.unit ?? 'step'} lines={[...curvesOf(a, palette[0]!), ...(a === b ? [] : curvesOf(b, palette[1]!))]} />
      ) : (
        <p>These versions recorded no loss curve.</p>
      )}

      <h2>Aliases</h2>
      {Object.keys(model.aliases).length ? (
        <ul class="aliases">
          {Object.entries(model.aliases).map(([alias, version]) => (
            <li key={alias}>
              <strong>{alias}</strong> → <span data-alias={alias}>v{version}</span>
              <Stats alias={alias} path={`${path}/aliases/${encodeURIComponent(alias)}/stats`} />
            </li>
          ))}
        </ul>
      ) : (
        <p>No aliases yet.</p>
      )}

      <TryIt model={model} />
    </section>
  );
}

/** The confirmation before moving `production`: what it points at now and how each metric changes. */
function Promotion({ modelPath, from, to, onDone }: { modelPath: string; from: ModelVersion | undefined; to: ModelVersion; onDone: (moved: boolean) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => dialog.current?.showModal(), []);
  const metrics = [...new Set([...Object.keys(from?.metrics ?? {}), ...Object.keys(to.metrics)])];
  const confirm = async () => {
    try {
      await api(`${modelPath}/aliases/${production}`, { method: 'PUT', body: { version: to.version } });
      dialog.current?.close();
      onDone(true);
    } catch (failure) {
      setError(failure);
    }
  };
  return (
    <dialog ref={dialog} aria-labelledby="promote-title" onClose={() => onDone(false)}>
      <h2 id="promote-title">
        Promote v{to.version} to production?
      </h2>
      <p>{from ? `production points at v${from.version} now.` : 'No version is in production yet.'}</p>
      <table>
        <thead>
          <tr>
            <th scope="col">Metric</th>
            <th scope="col">{from ? `v${from.version}` : 'now'}</th>
            <th scope="col">v{to.version}</th>
            <th scope="col">Change</th>
          </tr>
        </thead>
        <tbody>
          {metrics.map((metric) => {
            const before = from?.metrics[metric];
            const after = to.metrics[metric];
            const change = before !== undefined && after !== undefined ? after - before : undefined;
            return (
              <tr key={metric}>
                <td>{metric}</td>
                <td>{figure(before)}</td>
                <td>{figure(after)}</td>
                <td>{change === undefined ? '—' : `${change >= 0 ? '+' : ''}${figure(change)}`}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <ErrorBox error={error} />
      <div class="actions">
        <button type="button" onClick={confirm}>
          Promote
        </button>
        <button type="button" class="quiet" onClick={() => dialog.current?.close()}>
          Keep as is
        </button>
      </div>
    </dialog>
  );
}

/** An alias's traffic split and shadow stats, shown once it splits, shadows or has answered requests. */
function Stats({ alias, path }: { alias: string; path: string }) {
  const [stats, setStats] = useState<AliasStats | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<AliasStats>(path).then(setStats, (failure: unknown) => {
      // An API without rollout stats answers 404: there is nothing to show, which is no error.
      if (!(failure instanceof ApiError && failure.status === 404)) setError(failure);
    });
  }, [path]);
  if (error) return <ErrorBox error={error} />;
  if (!stats || (!stats.route && !stats.versions.some((v) => v.requests > 0))) return null;
  const agreement = (v: AliasStats['versions'][number]) =>
    !v.agreement
      ? '—'
      : v.agreement.same_label_rate !== undefined
        ? `${(v.agreement.same_label_rate * 100).toFixed(1)}% same label (${v.agreement.compared} rows)`
        : `mean |Δ| ${figure(v.agreement.mean_absolute_difference)} (${v.agreement.compared} rows)`;
  return (
    <div class="scroll">
      <table>
        <caption>Traffic on {alias}{stats.shed ? ` (${stats.shed} shadow copies shed)` : ''}</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Role</th>
            <th scope="col">Weight</th>
            <th scope="col">Requests</th>
            <th scope="col">p50 ms</th>
            <th scope="col">p95 ms</th>
            <th scope="col">Shadow agreement</th>
          </tr>
        </thead>
        <tbody>
          {stats.versions.map((v) => (
            <tr key={`${v.role}-${v.version}`}>
              <td>v{v.version}</td>
              <td>{v.role}</td>
              <td>{figure(stats.route?.versions[v.version])}</td>
              <td>{v.cached ? `${v.requests} (${v.cached} cached)` : v.requests}</td>
              <td>{figure(v.latency_ms?.p50)}</td>
              <td>{figure(v.latency_ms?.p95)}</td>
              <td>{agreement(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Predicts one row (numbers in feature order) or one text with the chosen version. */
function TryIt({ model }: { model: ModelDetails }) {
  const [version, setVersion] = useState(model.latest_version);
  const [input, setInput] = useState('');
  const [answer, setAnswer] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const chosen = model.versions.find((v) => v.version === version) ?? model.versions.at(-1)!;
  const text = chosen.input === 'text';

  const predict = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setAnswer(null);
    try {
      const row = text ? input : input.split(/[,\s]+/).filter(Boolean).map(Number);
      if (!text && (row as number[]).some(Number.isNaN)) throw new ApiError(0, 'invalid_input', 'give numbers separated by commas');
      let task = await api<Task>('/v1/predict', { body: { model: model.name, version, inputs: [row] }, headers: { prefer: 'wait=30' } });
      if (task.status !== 'SUCCESS' && task.status !== 'FAILURE') task = await api<Task>(`/v1/tasks/${task.task_id}?wait=30`);
      if (task.status === 'FAILURE') throw new ApiError(0, task.error?.code ?? 'failure', task.error?.message ?? 'the prediction failed');
      setAnswer((task.result as { predictions?: unknown[] }).predictions?.[0] ?? task.result);
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <>
      <h2>Try it</h2>
      <form class="try" onSubmit={predict}>
        <label>
          Version
          <select value={version} onChange={(e) => setVersion(Number(e.currentTarget.value))}>
            {model.versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version}
              </option>
            ))}
          </select>
        </label>
        <label>
          {text ? 'Text' : `Row (${chosen.feature_names.join(', ')})`}
          <input name="input" value={input} onInput={(e) => setInput(e.currentTarget.value)} required />
        </label>
        <button type="submit">Predict</button>
      </form>
      <ErrorBox error={error} />
      {answer !== null && (
        <pre class="json" aria-label="prediction">
          {JSON.stringify(answer, null, 2)}
        </pre>
      )}
    </>
  );
}
