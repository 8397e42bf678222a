import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { tempStorage } from '@trainyard/test-support/stack';

/**
 * GET /docs in Debian's Chromium: the page loads Swagger UI from the API itself (nothing from the
 * network beyond it) and lists every operation of /openapi.json. `npm run docs:screenshot` saves
 * what it shows to docs/api-reference.png.
 */

const prefix = testPrefix('reference');
const storage = tempStorage('reference');
let api: RunningProcess & { url: string };
let browser: Browser;

beforeAll(async () => {
  api = await startApi({ QUEUE_PREFIX: prefix, STORAGE_URL: storage.url });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

afterAll(async () => {
  await browser?.close();
  await api?.stop();
  await deletePrefix(prefix);
  storage.remove();
});

describe('the API reference page', () => {
  it('renders every operation of the document, with nothing fetched from elsewhere', async () => {
    const document = (await (await fetch(`${api.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    const operations = Object.values(document.paths).reduce((sum, item) => sum + Object.keys(item).length, 0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
    const elsewhere: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(api.url) && !request.url().startsWith('data:')) elsewhere.push(request.url());
    });
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));

    expect((await page.goto(`${api.url}/docs`))?.status()).toBe(200);
    await page.locator('.opblock').nth(operations - 1).waitFor({ timeout: 30_000 });
    expect(await page.locator('.opblock').count()).toBe(operations);
    await expect(page.locator('.info .title').textContent()).resolves.toContain('Trainyard API');
    expect(await page.locator('.opblock-summary-path').allTextContents()).toContain('/v1/tasks/{taskId}');
    expect(elsewhere).toEqual([]);
    expect(failures).toEqual([]);

    if (process.env.DOCS_SCREENSHOT) await page.screenshot({ path: process.env.DOCS_SCREENSHOT });
    await page.close();
  });
});
