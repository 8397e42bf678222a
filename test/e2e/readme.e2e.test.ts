import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAdminKey } from '@trainyard/test-support/auth';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { tempStorage } from '@trainyard/test-support/stack';

const root = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const prefix = testPrefix('readme');
const storage = tempStorage('readme');
mkdirSync(join(root, '.data'), { recursive: true });
/** Inside the repository, so `npx trainyard` and `@trainyard/client` resolve as they do for a user of this checkout. */
const scratch = mkdtempSync(join(root, '.data', 'readme-'));
// What `npm start` leaves for its user: the admin key the README's commands read.
mkdirSync(join(scratch, '.data'));
writeFileSync(join(scratch, '.data', 'admin-key'), `${testAdminKey}\n`, { mode: 0o600 });
let api: RunningProcess & { url: string };
let worker: RunningProcess;
let metricsAddress: string;

interface Block {
  language: string;
  code: string;
}

/** The code blocks of a README section that the test runs: all but those marked "not run". */
function blocksOf(section: string): Block[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${section}\n`);
  expect(start, section).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const text = readme.slice(start, end);
  return [...text.matchAll(/(<!-- not run[^>]*-->\n)?```(\w+)\n([\s\S]*?)```/g)].flatMap(([, skipped, language, code]) =>
    skipped ? [] : [{ language: language!, code: code! }],
  );
}

/** Runs a shell block as a user would paste it, against the test's API (never the npm registry: --no-install). */
async function shell(code: string): Promise<string> {
  const script = code.replaceAll('npx trainyard', 'npx --no-install trainyard').replaceAll('localhost:3000', new URL(api.url).host).replaceAll('localhost:9464', metricsAddress);
  // SHLVL: bash would otherwise take the socket it reads from for an ssh session and source bashrc.
  const env = { PATH: process.env.PATH, TRAINYARD_URL: api.url, SHLVL: '1' };
  const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: scratch, env });
  return stdout;
}

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([startApi({ ...env, METRICS_PORT: '0' }), startWorker(env)]);
  metricsAddress = new URL((JSON.parse(await api.waitForLine(/metrics listening/)) as { url: string }).url).host;
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the README, run as written', () => {
  it('Client and CLI: the TypeScript example compiles against the client’s types and runs', async () => {
    const [example] = blocksOf('Client and CLI').filter((block) => block.language === 'ts');
    writeFileSync(join(scratch, 'example.ts'), example!.code);
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { noEmit: true }, files: ['example.ts'] }));
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', scratch], { cwd: root });

    const { outputText } = ts.transpileModule(example!.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', outputText], { cwd: root, env: { PATH: process.env.PATH, TRAINYARD_URL: api.url, TRAINYARD_API_KEY: testAdminKey } });
    expect(stdout).toMatch(/^epoch \d+\/200, loss \d\.\d{3}$/m);
    expect(stdout).toMatch(/^SUCCESS \{\n?\s*model: 'iris',\s+version: 1,/m);
    expect(stdout).toContain("label: 'setosa'");
    expect(stdout).toMatch(/^404 not_found$/m);
  });

  it('Client and CLI: the commands run', async () => {
    const [commands] = blocksOf('Client and CLI').filter((block) => block.language === 'sh');
    const stdout = await shell(commands!.code);
    expect(stdout).toMatch(/^iris v2 trained in [\d.]+ s \(logistic-regression\)$/m);
    expect(stdout).toMatch(/^0\s+setosa\s+/m);
    expect(stdout).toMatch(/^0\s+virginica\s+/m);
    expect(stdout).toContain('my-flowers: 1 rows, 4 columns stored');
    expect(stdout).toContain('iris: production → v1');
    expect(stdout).toMatch(/^iris v3 trained in [\d.]+ s \(mlp\)$/m);
  });

  it('Inference protocol: the requests answer as shown', async () => {
    const [requests] = blocksOf('Inference protocol');
    const stdout = await shell(requests!.code);
    // curl prints each answer as it comes, without a newline between them.
    const [metadata, inferred] = stdout.trim().split(/(?<=\})(?=\{)/).map((answer) => JSON.parse(answer));
    expect(metadata).toMatchObject({ name: 'iris', platform: 'tensorflowjs_layers', inputs: expect.arrayContaining([{ name: 'sepal_length', datatype: 'FP32', shape: [-1] }]) });
    expect(inferred).toMatchObject({ model_name: 'iris', model_version: '1', id: 'kserve-iris', outputs: [{ name: 'label', shape: [2] }, { name: 'probabilities', shape: [2, 3] }] });
  });

  it('Monitoring: the metrics show the queues and the requests', async () => {
    const [scrape] = blocksOf('Monitoring');
    const stdout = await shell(scrape!.code);
    expect(stdout).toMatch(/^trainyard_queue_jobs\{queue="train",state="completed",service="api"\} 3$/m);
    expect(stdout).toMatch(/^trainyard_http_request_duration_seconds_count\{service="api",method="POST",route="\/v1\/train",status="202"\} 3$/m);
  });
});
