/**
 * Lets long requests (waits, event streams) end cleanly when the API stops instead of being cut:
 * each registers for the moment the API begins to close. (A registry rather than AbortSignal.any,
 * which keeps every combined signal alive on Node 20.)
 */
export class Closing {
  private readonly listeners = new Set<() => void>();
  private closedAlready = false;

  get closed(): boolean {
    return this.closedAlready;
  }

  /** Calls `listener` once when the API begins to stop (at once if it has); returns the unregistering function. */
  onClose(listener: () => void): () => void {
    if (this.closedAlready) {
      listener();
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closedAlready = true;
    for (const listener of this.listeners) listener();
    this.listeners.clear();
  }

  /** A signal that aborts when `signal` does or the API begins to stop; `release` when done with it. */
  withSignal(signal: AbortSignal): { signal: AbortSignal; release(): void } {
    const combined = new AbortController();
    const abort = () => combined.abort();
    const unregister = this.onClose(abort);
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
    return {
      signal: combined.signal,
      release: () => {
        unregister();
        signal.removeEventListener('abort', abort);
      },
    };
  }
}
