import { setTimeout as sleep } from 'node:timers/promises';

export { sleep };

/**
 * Polls `check` until it holds; throws after `timeoutMs` so no wait of the bench is unbounded.
 * Errors from `check` count as "not yet" (a server still starting refuses connections); errors
 * from `giveUpIf` (a process that died) end the wait at once.
 */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  { timeoutMs, intervalMs = 50, giveUpIf = () => {} }: { timeoutMs: number; intervalMs?: number; giveUpIf?: () => void },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    giveUpIf();
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
}

/** Rejects when `promise` has not settled within `timeoutMs`. */
export async function within<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
