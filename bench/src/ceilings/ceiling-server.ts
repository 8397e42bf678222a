import { fileURLToPath } from 'node:url';
import { freePort, JsonClient } from '../support/http.js';
import { NodeProcess } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

/** Starts a ceiling server script of this folder as its own process on a free port, once /health answers. */
export async function startCeilingServer(
  label: string,
  script: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ url: string; server: NodeProcess }> {
  const port = await freePort();
  const server = NodeProcess.start({
    label,
    script: fileURLToPath(new URL(script, import.meta.url)),
    env: { ...env, PORT: String(port) },
  });
  const url = `http://127.0.0.1:${port}`;
  const client = new JsonClient(url);
  try {
    await waitFor(`the ${label} to listen`, async () => (await client.get('/health')).status === 200, {
      timeoutMs,
      giveUpIf: () => server.assertRunning(),
    });
  } catch (error) {
    await server.stop();
    throw error;
  } finally {
    client.close();
  }
  return { url, server };
}
