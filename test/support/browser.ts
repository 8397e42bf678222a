import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where browser tests leave their screenshots (ignored by git; docs/console.md shows three copies). */
export const screenshotDir = resolve(import.meta.dirname, '../../.data/screenshots');

/**
 * Debian's Chromium, headless, in a fresh profile that is removed on close: no sync, no updates,
 * no background traffic, so a test sees only what its pages ask for.
 */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  const profile = mkdtempSync(join(tmpdir(), 'ty-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 860 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
