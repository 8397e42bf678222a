import { useState } from 'preact/hooks';
import { api, session, type ApiError } from '../api/client.js';
import { ErrorBox } from '../ui/error-box.js';

/** Asks for an API key and checks it with a read the key's tenant may always make. */
export function SignIn({ refused, onSignedIn }: { refused: ApiError | null; onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(refused);
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api('/v1/models', { key: key.trim() });
      session.signIn(key.trim());
      onSignedIn();
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="sign-in">
      <h1>Trainyard console</h1>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autocomplete="off" required placeholder="ty_…" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
        <p class="hint">Kept in this tab only (session storage) and sent as a bearer token with every call.</p>
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      <ErrorBox error={error} />
    </main>
  );
}
