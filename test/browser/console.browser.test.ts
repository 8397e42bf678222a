import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { createKey, testAdminKey } from '@trainyard/test-support/auth';
import { launchChromium, screenshot } from '@trainyard/test-support/browser';
import { request, waitForTask } from '@trainyard/test-support/http';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { inlineLine, submit, tempStorage, trainIris, trainIrisNetwork } from '@trainyard/test-support/stack';

const prefix = testPrefix('console');
const storage = tempStorage('console');
let api: RunningProcess & { url: string };
let worker: RunningProcess;
let browser: { context: BrowserContext; close(): Promise<void> };

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker, browser] = await Promise.all([startApi(env), startWorker(env), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
});

/** A fresh tab on the console, signed in with `key` (the test admin key unless named). */
async function signedIn(path = '', key = testAdminKey): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${api.url}/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Sections' }).waitFor();
  if (path) await page.goto(`${api.url}/#/${path}`);
  return page;
}

/** Reads a number off the page each time it changes until `done` holds for it. */
async function until(page: Page, read: () => Promise<number>, done: (value: number) => boolean, what: string, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${value} after ${timeoutMs} ms`);
    await page.waitForFunction(() => new Promise((r) => requestAnimationFrame(r)));
  }
}

/** Waits for the task page to show REVOKED; if it does not, says what the page and the API show. */
async function shownRevoked(page: Page, taskId: string): Promise<void> {
  const status = page.getByTestId('task-status');
  await status
    .filter({ hasText: 'REVOKED' })
    .waitFor({ timeout: 30_000 })
    .catch(async (error: Error) => {
      const told = (await request(`${api.url}/v1/tasks/${taskId}`)).body.status;
      throw new Error(`the page shows ${await status.textContent()} where the API says ${told}: ${error.message}`);
    });
}

describe('the web console', () => {
  it('when a wrong key is given, then sign-in shows the API refusal and stays on sign-in', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${api.url}/`);
    // By keyboard alone: the key field takes the first Tab, Enter submits.
    await page.getByLabel('API key').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
    await page.keyboard.type(`ty_${'not-a-real-key'.padEnd(43, 'x')}`);
    await page.keyboard.press('Enter');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^unauthorized: /);
    expect(await page.getByRole('navigation', { name: 'Sections' }).count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, 'sign-in-refused');
    await page.close();
  });

  it('when signed in, then the key is kept in the tab only, and a 401 later returns to sign-in', async () => {
    const { key, id } = await createKey(api.url, { tenant: 'default', name: 'console-test' });
    const page = await signedIn('', key);
    expect(await page.evaluate(() => [sessionStorage.getItem('trainyard.key'), localStorage.length])).toEqual([key, 0]);
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    await screenshot(page, 'tasks');

    expect((await request(`${api.url}/v1/admin/keys/${id}`, { method: 'DELETE' })).status).toBe(204);
    await page.getByRole('link', { name: 'Models' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/^unauthorized: /);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.close();
  });

  it('when a training runs, then its page shows the progress bar and the live loss chart moving, and Cancel stops it', async () => {
    const taskId = await submit(api.url, '/v1/train', trainIrisNetwork('console-live', { epochs: 400, batch_size: 8 }));
    const page = await signedIn(`tasks/${taskId}`);
    const bar = page.getByRole('progressbar', { name: 'training progress' });
    const points = page.locator('figure.chart [data-points]');
    const percent = async () => ((await bar.count()) ? Number(await bar.getAttribute('value')) : -1);
    const plotted = async () => ((await points.count()) ? Number(await points.getAttribute('data-points')) : 0);

    const first = await until(page, percent, (value) => value >= 0, 'the progress bar');
    const firstPoints = await until(page, plotted, (value) => value >= 1, 'the live chart');
    await until(page, percent, (value) => value > first, 'the progress bar moving');
    await until(page, plotted, (value) => value > firstPoints, 'the live chart growing');
    // Progress events carry the held-out loss too, so the live chart draws both curves.
    expect(await page.locator('figure.chart .u-legend').textContent()).toContain('val_loss');
    await screenshot(page, 'training-live');

    await page.getByRole('button', { name: 'Cancel' }).click();
    await shownRevoked(page, taskId);
    expect((await request(`${api.url}/v1/tasks/${taskId}`)).body.status).toBe('REVOKED');

    // Retry runs it again as a new task, whose page links back to this one.
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/tasks/') && !url.hash.endsWith(taskId));
    const retryId = decodeURIComponent(new URL(page.url()).hash.slice('#/tasks/'.length));
    await page.getByRole('link', { name: taskId }).waitFor();
    expect((await request(`${api.url}/v1/tasks/${taskId}`)).body.retried_by).toBe(retryId);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await shownRevoked(page, retryId);
    await page.close();
    // Each step is bounded on its own, so a stalled one names itself before the test's own bound.
  }, 180_000);

  it('when tasks run and arrive, then the list shows them newest first, live, and filters them', async () => {
    const page = await signedIn('tasks');
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    const longId = await submit(api.url, '/v1/train', trainIrisNetwork('console-list', { epochs: 400, batch_size: 8 }));
    // The list learns of the new task from the tenant feed, without a reload by the user.
    const row = page.locator(`tr[data-task="${longId}"]`);
    await row.waitFor({ timeout: 60_000 });
    const bar = row.getByRole('progressbar');
    const percent = async () => ((await bar.count()) ? Number(await bar.getAttribute('value')) : -1);
    const first = await until(page, percent, (value) => value >= 0, "the row's progress bar");
    await until(page, percent, (value) => value > first, "the row's progress bar moving");
    await screenshot(page, 'tasks-live');
    // Spares the CPU the rest of the training (a 409 if it finished meanwhile; either will do here).
    await request(`${api.url}/v1/tasks/${longId}/cancel`, { method: 'POST' });

    const lineId = await submit(api.url, '/v1/train', { model: 'console-line', algorithm: 'linear-regression', dataset: inlineLine });
    await page.locator(`tr[data-task="${lineId}"]`).getByText('SUCCESS').waitFor({ timeout: 60_000 });
    const ids = await page.locator('tbody tr[data-task]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')));
    expect(ids.indexOf(lineId)).toBeLessThan(ids.indexOf(longId));

    await page.getByLabel('Type').selectOption('train');
    await page.getByLabel('Model').fill('console-line');
    await page.getByRole('button', { name: 'Filter' }).click();
    await row.waitFor({ state: 'detached' });
    expect(await page.locator('tbody tr[data-task]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task')))).toEqual([lineId]);
    await page.close();
  });

  it('when a model has two versions, then their curves overlay, promoting one moves production after a confirmation, and a split alias shows each version\'s traffic', async () => {
    for (const epochs of [5, 60]) {
      const trained = await waitForTask(api.url, await submit(api.url, '/v1/train', trainIris('console-flowers', { epochs })));
      expect(trained.status).toBe('SUCCESS');
    }
    const page = await signedIn('models/console-flowers');
    await page.getByRole('heading', { name: 'Model console-flowers' }).waitFor();
    await page.getByText('Loss of v1 and v2').waitFor();
    const legend = await page.locator('figure.chart .u-legend').textContent();
    expect(legend).toContain('v1 loss');
    expect(legend).toContain('v2 loss');

    const promote = async (version: number, before: string) => {
      await page.getByRole('button', { name: `Promote v${version} to production` }).click();
      const dialog = page.getByRole('dialog', { name: `Promote v${version} to production?` });
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain(before);
      expect(await dialog.getByRole('row', { name: /accuracy/ }).count()).toBe(1);
      return dialog;
    };
    const first = await promote(2, 'No version is in production yet.');
    await first.getByRole('button', { name: 'Promote', exact: true }).click();
    await page.locator('[data-alias="production"]', { hasText: 'v2' }).waitFor();
    expect((await request(`${api.url}/v1/models/console-flowers`)).body.aliases).toEqual({ production: 2 });

    const second = await promote(1, 'production points at v2 now.');
    // The change column compares v1 with what production serves now, v2.
    expect(await second.getByRole('columnheader').allTextContents()).toEqual(['Metric', 'v2', 'v1', 'Change']);
    await screenshot(page, 'promote');
    await second.getByRole('button', { name: 'Promote', exact: true }).click();
    await page.locator('[data-alias="production"]', { hasText: 'v1' }).waitFor();
    expect((await request(`${api.url}/v1/models/console-flowers`)).body.aliases).toEqual({ production: 1 });
    await screenshot(page, 'model');

    // A split alias shows its traffic: each version's weight and the requests it answered.
    const split = await request(`${api.url}/v1/models/console-flowers/aliases/canary`, { method: 'PUT', body: { versions: { '1': 3, '2': 1 } } });
    expect(split.status).toBe(200);
    const row = { model: 'console-flowers', version: 'canary', cache: false, inputs: [[5.1, 3.5, 1.4, 0.2]] };
    const routed = await Promise.all(Array.from({ length: 16 }, (_, i) => submit(api.url, '/v1/predict', { ...row, routing_key: `customer-${i}` })));
    const answers = await Promise.all(routed.map((taskId) => waitForTask(api.url, taskId)));
    const answeredBy = (version: number) => answers.filter((task) => (task.result as { version: number }).version === version).length;
    expect(answeredBy(1) + answeredBy(2)).toBe(16);
    await page.reload();
    const traffic = page.getByRole('table', { name: 'Traffic on canary' });
    await traffic.waitFor();
    const cells = async (version: number) => traffic.getByRole('row', { name: new RegExp(`^v${version} primary`) }).getByRole('cell').allTextContents();
    expect((await cells(1)).slice(0, 4)).toEqual(['v1', 'primary', '3', String(answeredBy(1))]);
    expect((await cells(2)).slice(0, 4)).toEqual(['v2', 'primary', '1', String(answeredBy(2))]);

    await page.getByLabel(/^Row \(sepal_length/).fill('5.1, 3.5, 1.4, 0.2');
    await page.getByRole('button', { name: 'Predict' }).click();
    const prediction = page.getByLabel('prediction');
    await prediction.waitFor({ timeout: 60_000 });
    expect(JSON.parse((await prediction.textContent())!)).toMatchObject({ label: 'setosa' });

    // On a phone the page fits the screen; wide tables scroll inside their own box.
    await page.setViewportSize({ width: 375, height: 740 });
    // The chart follows its box's new width when the resize observer fires.
    await page.waitForFunction(() => document.documentElement.scrollWidth <= innerWidth, undefined, { timeout: 10_000 });
    await screenshot(page, 'model-phone');
    await page.close();
  });

  it('when a CSV is uploaded, then its preview shows the first rows and column types, and Delete removes it', async () => {
    const page = await signedIn('datasets');
    const csv = 'area,rooms,city\n52.5,2,"Lyon, FR"\n80,3,Paris\n41,1,Nantes\n';
    await page.getByLabel('CSV file').setInputFiles({ name: 'console-flats.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    expect(await page.getByLabel('Name').inputValue()).toBe('console-flats');
    await page.getByRole('button', { name: 'Upload' }).click();

    const preview = page.getByRole('region', { name: /^console-flats: 3 rows, \d+ B$/ });
    await preview.waitFor().catch(async (error: unknown) => {
      throw new Error(`${String(error)}\n${await page.locator('main').innerText()}`);
    });
    expect(await page.getByRole('progressbar', { name: 'upload progress' }).getAttribute('value')).toBe('100');
    expect(await preview.getByRole('columnheader').allTextContents()).toEqual(['areanumber', 'roomsnumber', 'citystring']);
    expect(await preview.getByRole('row').nth(1).getByRole('cell').allTextContents()).toEqual(['52.5', '2', 'Lyon, FR']);
    await screenshot(page, 'dataset-preview');
    expect((await request(`${api.url}/v1/datasets/console-flats`)).body.rows).toBe(3);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete console-flats' }).click();
    await preview.waitFor({ state: 'detached' });
    expect((await request(`${api.url}/v1/datasets/console-flats`)).status).toBe(404);
    await page.close();
  });
});
