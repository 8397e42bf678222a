import { ApiError } from '../api/client.js';

/** An error as the API said it: its code and message, and the issues it listed. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : null;
  return (
    <div class="error" role="alert">
      <strong>{api ? api.code : 'error'}</strong>: {error instanceof Error ? error.message : String(error)}
      {api?.issues.length ? (
        <ul>
          {api.issues.map((issue, i) => (
            <li key={i}>
              {issue.path ? <code>{issue.path}</code> : null} {issue.message}
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
