import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { ModelSummary } from '../api/types.js';
import { href } from '../router.js';
import { ErrorBox } from '../ui/error-box.js';
import { when } from '../ui/format.js';

export function ModelsPage() {
  const [models, setModels] = useState<ModelSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ models: ModelSummary[] }>('/v1/models').then(({ models }) => setModels(models), setError);
  }, []);
  return (
    <section aria-labelledby="models-title">
      <h1 id="models-title">Models</h1>
      <ErrorBox error={error} />
      {models && !models.length && <p>No models yet: a training makes one.</p>}
      {models && models.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Latest version</th>
                <th scope="col">Aliases</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {models.map((model) => (
                <tr key={model.name}>
                  <td>
                    <a href={href('models', model.name)}>{model.name}</a>
                  </td>
                  <td>{model.latest_version}</td>
                  <td>
                    {Object.entries(model.aliases)
                      .map(([alias, version]) => `${alias} → v${version}`)
                      .join(', ') || '—'}
                  </td>
                  <td>{when(model.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
