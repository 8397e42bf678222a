import { useEffect, useState } from 'preact/hooks';
import { api, upload } from '../api/client.js';
import type { Dataset } from '../api/types.js';
import { firstRecords } from '../csv-preview.js';
import { ErrorBox } from '../ui/error-box.js';
import { bytes, when } from '../ui/format.js';
import { ProgressBar } from '../ui/progress-bar.js';

/** How much of a chosen file the preview reads: enough for its first rows, never the whole file. */
const previewBytes = 64 * 1024;
const previewRows = 10;

export function DatasetsPage() {
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<{ dataset: Dataset; rows?: string[][] } | null>(null);

  const load = async () => {
    try {
      setDatasets((await api<{ datasets: Dataset[] }>('/v1/datasets')).datasets);
    } catch (failure) {
      setError(failure);
    }
  };
  useEffect(() => void load(), []);

  const remove = async (dataset: Dataset) => {
    if (!confirm(`Delete dataset ${dataset.name}? Models trained on it keep working.`)) return;
    try {
      await api(`/v1/datasets/${encodeURIComponent(dataset.name)}`, { method: 'DELETE' });
      if (shown?.dataset.name === dataset.name) setShown(null);
      await load();
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <section aria-labelledby="datasets-title">
      <h1 id="datasets-title">Datasets</h1>
      <Upload
        onUploaded={(dataset, rows) => {
          setShown({ dataset, rows });
          void load();
        }}
      />
      {shown && <Preview dataset={shown.dataset} rows={shown.rows} />}
      <ErrorBox error={error} />
      {datasets && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Dataset</th>
                <th scope="col">Rows</th>
                <th scope="col">Columns</th>
                <th scope="col">Size</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {datasets.map((dataset) => (
                <tr key={dataset.name}>
                  <td>
                    <button type="button" class="link" onClick={() => setShown({ dataset })}>
                      {dataset.name}
                    </button>
                    {dataset.builtin && <span class="tag">built-in</span>}
                  </td>
                  <td>{dataset.rows}</td>
                  <td>{dataset.columns.length}</td>
                  <td>{bytes(dataset.bytes)}</td>
                  <td>{when(dataset.created_at)}</td>
                  <td>
                    {!dataset.builtin && (
                      <button type="button" class="quiet" onClick={() => remove(dataset)} aria-label={`Delete ${dataset.name}`}>
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Upload({ onUploaded }: { onUploaded: (dataset: Dataset, rows: string[][]) => void }) {
  const [name, setName] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return;
    setError(null);
    setProgress(0);
    try {
      const head = await file.slice(0, previewBytes).text();
      const dataset = await upload<Dataset>(`/v1/datasets/${encodeURIComponent(name.trim())}`, file, 'text/csv', setProgress);
      onUploaded(dataset, firstRecords(head, previewRows + 1, file.size <= previewBytes));
    } catch (failure) {
      setError(failure);
      setProgress(null);
    }
  };

  return (
    <form class="upload" onSubmit={submit} aria-labelledby="upload-title">
      <h2 id="upload-title">Upload a CSV</h2>
      <label>
        Name
        <input name="name" required pattern="[a-z0-9][a-z0-9_\-]{0,62}" title="lower-case letters, digits, - and _" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        CSV file
        <input
          name="file"
          type="file"
          accept=".csv,text/csv"
          required
          onChange={(e) => {
            const chosen = e.currentTarget.files?.[0] ?? null;
            setFile(chosen);
            if (chosen && !name) setName(chosen.name.replace(/\.csv$/i, '').toLowerCase().replace(/[^a-z0-9_-]+/g, '-').slice(0, 63));
          }}
        />
      </label>
      <button type="submit" disabled={!file || (progress !== null && progress < 1)}>
        Upload
      </button>
      {progress !== null && <ProgressBar percent={progress * 100} label="upload progress" />}
      <ErrorBox error={error} />
    </form>
  );
}

/** Column types as the API found them; the first rows from the uploaded file itself (the API serves no rows). */
function Preview({ dataset, rows }: { dataset: Dataset; rows?: string[][] | undefined }) {
  const body = rows?.slice(1) ?? [];
  return (
    <section class="preview" aria-labelledby="preview-title">
      <h2 id="preview-title">
        {dataset.name}: {dataset.rows} rows, {bytes(dataset.bytes)}
      </h2>
      {dataset.description && <p>{dataset.description}</p>}
      <div class="scroll">
        <table>
          <caption>{body.length ? `First ${body.length} rows` : 'Columns'}</caption>
          <thead>
            <tr>
              {dataset.columns.map((column) => (
                <th scope="col" key={column.name}>
                  {column.name}
                  <span class="type">{column.type}{dataset.target === column.name ? ', target' : ''}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {body.map((row, i) => (
              <tr key={i}>
                {dataset.columns.map((column, j) => (
                  <td key={column.name}>{row[j] ?? ''}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
