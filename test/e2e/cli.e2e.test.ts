import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAdminKey } from '@trainyard/test-support/auth';
import { startApi, startWorker, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';
import { tempStorage } from '@trainyard/test-support/stack';
import { startTerminal } from '@trainyard/test-support/terminal';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'packages/cli/bin/trainyard.js');
const prefix = testPrefix('cli');
const storage = tempStorage('cli');
const scratch = mkdtempSync(join(tmpdir(), 'ty-cli-'));
let api: RunningProcess & { url: string };
let worker: RunningProcess;

beforeAll(async () => {
  const env = { QUEUE_PREFIX: prefix, STORAGE_URL: storage.url };
  [api, worker] = await Promise.all([startApi(env), startWorker(env)]);
});

afterAll(async () => {
  await Promise.all([api?.stop(), worker?.stop()]);
  await deletePrefix(prefix);
  storage.remove();
  rmSync(scratch, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command as a script would: no terminal, output captured, the exit code kept. */
async function trainyard(args: string[], command = [bin]): Promise<Run> {
  const [file, ...pre] = command;
  try {
    const { stdout, stderr } = await promisify(execFile)(file!, [...pre, ...args], { cwd: root, env: { PATH: process.env.PATH, TRAINYARD_URL: api.url, TRAINYARD_API_KEY: testAdminKey } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, stdout, stderr };
  }
}

describe('trainyard in a terminal', () => {
  it('shows a live progress bar with epoch, loss and ETA, then the metrics table', async () => {
    const terminal = await startTerminal(`${bin} train iris --algorithm mlp --dataset iris --target species -p epochs=300 -p batch_size=4 -p patience=0 -p seed=1 --watch`, {
      env: { TRAINYARD_URL: api.url, TRAINYARD_API_KEY: testAdminKey },
      width: 100,
      height: 16,
    });
    try {
      const bar = /(training|refitting) [█░]{30} (\d+)% \| epoch (\d+)\/(\d+) \| loss \d+(\.\d+)? \| ETA \S+/;
      const midway = await terminal.waitFor(/training [█░]{30} ([1-8]\d|9[0-8]?)% /);
      expect(midway).toMatch(/^train-[0-9a-f]{32} queued$/m);
      expect(midway).toMatch(/^started on \S+:\d+$/m);
      const final = await terminal.waitFor(/\[exit \d+\]/);
      expect(final).toMatch(/\[exit 0\]/);
      expect(final).toMatch(/^refitting [█]{30} 100% /m);
      expect(final).toMatch(/^iris v1 trained in \d+\.\d s \(mlp\)$/m);
      expect(final).toMatch(/^metric\s+value\n(accuracy|f1_macro|loss|val_loss)\s+\d/m);
      expect(final).toMatch(/^accuracy\s+(0\.9\d*|1)$/m);
      // The bar redraws in place: one line whatever the number of updates, and it was seen moving.
      expect(final.match(new RegExp(bar.source, 'g'))).toHaveLength(1);
      // The fit's bar counts up; the refit on every row then draws a bar of its own.
      const epochs = terminal.screens.flatMap((screen) => (bar.exec(screen)?.[1] === 'training' ? [Number(bar.exec(screen)![3])] : []));
      expect(new Set(epochs).size).toBeGreaterThan(2);
      expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    } finally {
      await terminal.close();
    }
  });

  it('uploads a dataset with a progress bar in bytes', async () => {
    const file = join(scratch, 'numbers.csv');
    const rows = Array.from({ length: 100_000 }, (_, i) => `${i},${(i * 31) % 97},${i % 3}`);
    writeFileSync(file, `a,b,label\n${rows.join('\n')}\n`);
    const terminal = await startTerminal(`${bin} datasets put numbers ${file}`, { env: { TRAINYARD_URL: api.url, TRAINYARD_API_KEY: testAdminKey } });
    try {
      const final = await terminal.waitFor(/\[exit \d+\]/);
      expect(final).toMatch(/uploading [█]{30} 100% \| 1\.\d MiB of 1\.\d MiB/);
      expect(final).toMatch(/^numbers: 100000 rows, 3 columns stored$/m);
      expect(final).toMatch(/\[exit 0\]/);
    } finally {
      await terminal.close();
    }
  });
});

describe('trainyard in scripts', () => {
  it('predicts rows given as arguments, runnable as npx trainyard', async () => {
    const run = await trainyard(['trainyard', 'predict', 'iris', '5.1,3.5,1.4,0.2', '7.7,3.0,6.1,2.3'], ['npx', '--no-install']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^iris v1\nrow\s+label\s+probability\n0\s+setosa\s+0?\.?\d+\n1\s+virginica\s+/);
  });

  it('predicts the rows of a CSV file, matched to the features by its header, as JSON', async () => {
    const file = join(scratch, 'rows.csv');
    writeFileSync(file, 'petal_width,petal_length,sepal_width,sepal_length\n0.2,1.4,3.5,5.1\n2.3,6.1,3.0,7.7\n');
    const run = await trainyard(['--json', 'predict', 'iris', '--file', file]);
    expect(run.code, run.stderr).toBe(0);
    const task = JSON.parse(run.stdout) as { status: string; result: { predictions: { label: string }[] } };
    expect(task.status).toBe('SUCCESS');
    expect(task.result.predictions.map((p) => p.label)).toEqual(['setosa', 'virginica']);
    expect(run.stderr).toBe('');
  });

  it('gets, cancels and watches a task, exiting 1 when the watched task did not succeed', async () => {
    const submitted = await trainyard(['--json', 'train', 'long', '-a', 'mlp', '-d', 'iris', '-t', 'species', '-p', 'epochs=1000', '-p', 'batch_size=4', '-p', 'patience=0']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const { task_id: taskId } = JSON.parse(submitted.stdout) as { task_id: string };
    const got = await trainyard(['tasks', 'get', taskId]);
    expect(got.stdout).toMatch(new RegExp(`^task\\s+${taskId}\\nstatus\\s+(PENDING|STARTED)`));
    const cancelled = await trainyard(['tasks', 'cancel', taskId]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^${taskId} (revoked|stopping)\\n$`));
    const watched = await trainyard(['tasks', 'watch', taskId]);
    expect(watched.code).toBe(1);
    expect(watched.stderr).toContain(`${taskId} ended REVOKED`);
  });

  it('exits 1 when a training fails, naming the error', async () => {
    const run = await trainyard(['train', 'broken', '-a', 'logistic-regression', '-d', 'iris', '-t', 'no_such_column', '--watch']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/ended FAILURE: .*no_such_column.* \(invalid_data\)/);
  });

  it('lists failed tasks and retries one, as text and as JSON', async () => {
    const submitted = await trainyard(['--json', 'train', 'ls-broken', '-a', 'logistic-regression', '-d', 'iris', '-t', 'no_such_column']);
    const { task_id: taskId } = JSON.parse(submitted.stdout) as { task_id: string };
    expect((await trainyard(['tasks', 'watch', taskId])).code).toBe(1);
    const listed = await trainyard(['--json', 'tasks', 'ls', '--status', 'FAILURE', '--model', 'ls-broken']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ tasks: [{ task_id: taskId, status: 'FAILURE', model: 'ls-broken' }], next_cursor: null });
    const text = await trainyard(['tasks', 'ls', '--model', 'ls-broken']);
    expect(text.stdout).toMatch(new RegExp(`^TASK\\s+TYPE\\s+MODEL\\s+VERSION\\s+STATUS\\s+CREATED\\n${taskId}\\s+train\\s+ls-broken\\s+FAILURE`));
    const retried = await trainyard(['tasks', 'retry', taskId]);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(new RegExp(`^train-[0-9a-f]{32} queued, retrying ${taskId}\\n$`));
    const again = await trainyard(['tasks', 'retry', taskId]);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/retried already.*\(task_not_retryable\)/);
    expect((await trainyard(['tasks', 'ls', '--status', 'DONE'])).code).toBe(2);
  });

  it('exits 2 on usage errors, its own or those the API finds in the request', async () => {
    const missing = await trainyard(['train', 'iris', '-d', 'iris', '-t', 'species']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '-a, --algorithm <algorithm>' not specified");
    const badRow = await trainyard(['predict', 'iris', '5.1,x']);
    expect(badRow.code).toBe(2);
    expect(badRow.stderr).toContain('value 2 of "5.1,x" is not a number');
    const refused = await trainyard(['train', 'iris', '-a', 'mlp', '-d', 'iris', '-t', 'species', '-p', 'epochs=0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/params\.epochs: /);
  });

  it('exits 3 when the API answers with an error or cannot be reached', async () => {
    const unknown = await trainyard(['tasks', 'get', 'train-00000000000000000000000000000000']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/not_found/);
    const away = await trainyard(['--url', 'http://127.0.0.1:9', 'models', 'ls']);
    expect(away.code).toBe(3);
    expect(away.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9.*\(unreachable\)/);
  });

  it('lists and shows models and moves an alias', async () => {
    const alias = await trainyard(['models', 'alias', 'iris', 'production', '1']);
    expect(alias.stdout).toBe('iris: production → v1\n');
    expect((await trainyard(['models', 'ls'])).stdout).toMatch(/^name\s+latest\s+aliases\s+updated\n.*^iris\s+1\s+production→1\s/ms);
    expect((await trainyard(['models', 'show', 'iris'])).stdout).toMatch(/^1\s+mlp\s+classification\s+accuracy .*\s+production\s/m);
    // A split goes to the API as weights: version 7 does not exist.
    const split = await trainyard(['models', 'alias', 'iris', 'canary', '1=90,7=10']);
    expect(split.code).toBe(3);
    expect(split.stderr).toMatch(/no version 7/);
    expect((await trainyard(['models', 'alias', 'iris', 'canary', '1=ninety'])).code).toBe(2);
    expect((await trainyard(['models', 'alias', 'iris', 'production', '--delete'])).code).toBe(0);
    const models = JSON.parse((await trainyard(['--json', 'models', 'ls'])).stdout) as { name: string; aliases: object }[];
    expect(models.find((model) => model.name === 'iris')?.aliases).toEqual({});
  });

  it('lists, shows and deletes datasets', async () => {
    expect((await trainyard(['datasets', 'ls'])).stdout).toMatch(/^iris\s+150\s+5\s+3\.\d KiB\s+yes$/m);
    expect((await trainyard(['datasets', 'show', 'iris'])).stdout).toMatch(/^iris: 150 rows, .*target species\n\ncolumn\s+type\n/);
    expect((await trainyard(['datasets', 'rm', 'numbers'])).stdout).toBe('numbers deleted\n');
  });

  it('runs after a global npm install into its own prefix', async () => {
    const prefixDir = join(scratch, 'global');
    await promisify(execFile)('npm', ['install', '--global', '--prefix', prefixDir, '--no-audit', '--no-fund', './packages/cli'], { cwd: root });
    const run = await trainyard(['--json', 'datasets', 'ls'], [join(prefixDir, 'bin/trainyard')]);
    expect(run.code, run.stderr).toBe(0);
    expect((JSON.parse(run.stdout) as { name: string }[]).map((d) => d.name)).toContain('iris');
  });
});
