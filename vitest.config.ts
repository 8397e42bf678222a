import { execFileSync } from 'node:child_process';
import { defineConfig } from 'vitest/config';

/**
 * One naming rule for every workspace:
 * - `*.test.ts`: unit tests, in-process only (no sockets, no child processes), next to their module in src/
 *   (or in the package's test/ when they exercise the package as a whole);
 * - `*.int.test.ts`: integration tests against real services (Redis, S3, SMTP, HTTP), in the package's test/;
 * - `*.e2e.test.ts`: the built API and worker as real processes, in test/e2e/;
 * - `*.soak.test.ts`: e2e under sustained load (test/soak/), a project of its own so it can be run
 *   (`--project soak`) and timed alone; it runs beside the others in `npm test`;
 * - `*.browser.test.ts`: pages driven in Debian's Chromium through playwright-core; the project exists
 *   only where `chromium` is installed (CI installs it), so elsewhere they are left out, not skipped.
 */
const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' as const };
const ignored = ['**/node_modules/**', '**/dist/**'];
const hasChromium = (() => {
  try {
    execFileSync('chromium', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'unit', include: ['**/*.test.ts'], exclude: [...ignored, '**/*.int.test.ts', '**/*.e2e.test.ts', '**/*.soak.test.ts', '**/*.browser.test.ts'] } },
      { test: { ...shared, name: 'integration', include: ['**/*.int.test.ts'], exclude: ignored } },
      { test: { ...shared, name: 'e2e', include: ['**/*.e2e.test.ts'], exclude: ignored } },
      { test: { ...shared, name: 'soak', include: ['**/*.soak.test.ts'], exclude: ignored } },
      ...(hasChromium ? [{ test: { ...shared, name: 'browser', include: ['**/*.browser.test.ts'], exclude: ignored } }] : []),
    ],
  },
});
