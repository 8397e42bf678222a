import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer } from '@trainyard/test-support/auth';
import { request } from '@trainyard/test-support/http';
import { startApi, type RunningProcess } from '@trainyard/test-support/processes';
import { deletePrefix, testPrefix } from '@trainyard/test-support/redis';

const prefix = testPrefix('datasets');
const storageDir = mkdtempSync(join(tmpdir(), 'ty-datasets-'));
const maxBytes = 4096;
let api: RunningProcess & { url: string };

beforeAll(async () => {
  api = await startApi({ QUEUE_PREFIX: prefix, STORAGE_URL: `file://${storageDir}`, DATASET_MAX_BYTES: String(maxBytes) });
});

afterAll(async () => {
  await api?.stop();
  await deletePrefix(prefix);
  rmSync(storageDir, { recursive: true, force: true });
});

/** Sends a raw body; a function body is streamed chunk by chunk, without Content-Length. */
async function upload(name: string, body: string | (() => AsyncGenerator<string>), contentType = 'text/csv') {
  const streamed = typeof body === 'function';
  const response = await fetch(`${api.url}/v1/datasets/${name}`, {
    method: 'PUT',
    headers: { 'content-type': contentType, ...bearer() },
    body: streamed ? ReadableStream.from(body()).pipeThrough(new TextEncoderStream()) : body,
    ...(streamed ? { duplex: 'half' } : {}),
  } as RequestInit);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const storedFiles = () => readdirSync(join(storageDir, 'datasets')).sort();

const goodCsv = 'area,rooms,city\n52.5,2,Lyon\n80,3,"Paris, 11e"\n\n120,4,Nice\n';

describe('uploading a dataset', () => {
  it('when the CSV is good, then it is stored and described with its rows, column types and size', async () => {
    const response = await upload('flats', goodCsv);

    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/v1/datasets/flats');
    expect(response.body).toMatchObject({
      name: 'flats',
      rows: 3,
      columns: [
        { name: 'area', type: 'number' },
        { name: 'rooms', type: 'number' },
        { name: 'city', type: 'string' },
      ],
      bytes: Buffer.byteLength(goodCsv),
      builtin: false,
    });
    expect(Date.parse(response.body.created_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(readFileSync(join(storageDir, 'datasets/flats.csv'), 'utf8')).toBe(goodCsv);
    expect((await request(`${api.url}/v1/datasets/flats`)).body).toEqual(response.body);
  });

  it('when rows come as JSON objects, then they are stored as CSV with the same checks', async () => {
    const rows = [
      { x: 1, y: 'a, "quoted"', ok: true },
      { y: 'b', x: 2.5, ok: false },
    ];
    const response = await upload('json-rows', JSON.stringify(rows, null, 1), 'application/json');

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ rows: 2, columns: [{ name: 'x', type: 'number' }, { name: 'y', type: 'string' }, { name: 'ok', type: 'string' }] });
    expect(readFileSync(join(storageDir, 'datasets/json-rows.csv'), 'utf8')).toBe('"x","y","ok"\n1,"a, ""quoted""",true\n2.5,"b",false\n');
  });

  it('when the upload streams in chunks without a length, then it is checked as it arrives', async () => {
    const response = await upload('chunked', async function* () {
      yield 'a,b\n';
      for (let i = 0; i < 50; i++) yield `${i},${i * 2}\n`;
    });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ rows: 50, columns: [{ name: 'a', type: 'number' }, { name: 'b', type: 'number' }] });
  });
});

describe('refusing a bad upload', () => {
  type Case = [what: string, name: string, body: string, contentType: string, status: number, code: string, message: RegExp];
  const cases: Case[] = [
    ['a row with a missing field', 'short-row', 'a,b,c\n1,2,3\n4,5,6\n7,8\n', 'text/csv', 400, 'invalid_data', /line 4 has 2 fields, the header has 3/],
    ['a word in a numeric column', 'word', 'a,b\n1,2\n3,x\n', 'text/csv', 400, 'invalid_data', /line 3, column "b": "x" is not a number/],
    ['an empty cell in a numeric column', 'hole', 'a,b\n1,2\n3,\n', 'text/csv', 400, 'invalid_data', /line 3, column "b": is empty/],
    ['an empty file', 'empty', '', 'text/csv', 400, 'invalid_data', /empty/],
    ['a header only', 'header-only', 'a,b\n', 'text/csv', 400, 'invalid_data', /no data rows/],
    ['a repeated column name', 'twice', 'a,a\n1,2\n', 'text/csv', 400, 'invalid_data', /line 1.*"a" appears twice/],
    ['an unclosed quote', 'quote', 'a,b\n1,"2\n', 'text/csv', 400, 'invalid_data', /invalid CSV/],
    ['JSON rows with differing keys', 'json-keys', '[{"a":1},\n{"b":2}]', 'application/json', 400, 'invalid_data', /row 2 \(line 2\)/],
    ['JSON that is not an array', 'json-object', '{"a":1}', 'application/json', 400, 'invalid_data', /line 1: expected a JSON array/],
    ['JSON rows with a nested value', 'json-nested', '[{"a":[1]}]', 'application/json', 400, 'invalid_data', /row 1 \(line 1\), "a"/],
    ['plain text', 'plain', 'a,b\n1,2\n', 'text/plain', 415, 'unsupported_media_type', /text\/csv/],
    ['a name with a capital', 'Flats', 'a,b\n1,2\n', 'text/csv', 400, 'invalid_request', /name/],
  ];

  it.each(cases)('when it is %s, then it answers %s… and stores nothing', async (_what, name, body, contentType, status, code, message) => {
    const response = await upload(name, body, contentType);

    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    expect(response.body.error.message).toMatch(message);
    expect(storedFiles().filter((file) => file.startsWith(`${name}.`))).toEqual([]);
  });

  it('when the name is a built-in sample\'s, then it answers 409 and the sample stays', async () => {
    const before = readFileSync(join(storageDir, 'datasets/iris.csv'), 'utf8');
    const response = await upload('iris', 'a,b\n1,2\n');

    expect(response.status).toBe(409);
    expect(response.body.error.message).toMatch(/built-in/);
    expect(readFileSync(join(storageDir, 'datasets/iris.csv'), 'utf8')).toBe(before);
  });

  it('when the declared size is over the limit, then it answers 413 before reading it', async () => {
    const response = await upload('big', `a\n${'1\n'.repeat(maxBytes)}`);

    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
    expect(storedFiles().filter((file) => file.startsWith('big.'))).toEqual([]);
  });

  it('when a streamed upload grows past the limit, then it answers 413 and leaves no partial file', async () => {
    const response = await upload('big-stream', async function* () {
      yield 'a,b\n';
      for (let i = 0; i < 1000; i++) yield `${i},${i}\n`;
    });

    expect(response.status).toBe(413);
    expect(storedFiles().filter((file) => file.startsWith('big-stream'))).toEqual([]);
  });

  it('when the client breaks off an upload, then nothing is stored and the API carries on', async () => {
    const abort = new AbortController();
    const body = ReadableStream.from(
      (async function* () {
        yield 'a,b\n1,2\n';
        await new Promise((resolve) => setTimeout(resolve, 200));
        abort.abort();
      })(),
    ).pipeThrough(new TextEncoderStream());
    const sent = fetch(`${api.url}/v1/datasets/broken-off`, {
      method: 'PUT',
      headers: { 'content-type': 'text/csv', ...bearer() },
      body,
      duplex: 'half',
      signal: abort.signal,
    } as RequestInit);

    await expect(sent).rejects.toThrow();
    await expect.poll(() => storedFiles().filter((file) => file.startsWith('broken-off')), { timeout: 5_000 }).toEqual([]);
    expect((await request(`${api.url}/v1/datasets`)).status).toBe(200);
  });

  it('when a replacement is bad, then the stored dataset stays as it was', async () => {
    await upload('keeper', 'a,b\n1,2\n');
    const response = await upload('keeper', 'a,b\n1,2\n3\n');

    expect(response.status).toBe(400);
    expect(readFileSync(join(storageDir, 'datasets/keeper.csv'), 'utf8')).toBe('a,b\n1,2\n');
    expect((await request(`${api.url}/v1/datasets/keeper`)).body).toMatchObject({ rows: 1 });
  });
});

describe('listing, reading and deleting datasets', () => {
  it('lists uploads and the built-in samples, described from their CSV', async () => {
    await upload('listed', 'a,b\n1,2\n');
    const response = await request(`${api.url}/v1/datasets`);

    expect(response.status).toBe(200);
    const byName = Object.fromEntries(response.body.datasets.map((d: { name: string }) => [d.name, d]));
    expect(byName.listed).toMatchObject({ rows: 1, builtin: false });
    expect(byName.iris).toMatchObject({ rows: 150, builtin: true, target: 'species' });
    expect(byName.iris.columns).toContainEqual({ name: 'species', type: 'string' });
    expect(byName.iris.columns.filter((c: { type: string }) => c.type === 'number')).toHaveLength(4);
    expect(byName.housing).toMatchObject({ builtin: true, target: 'price_k' });
  });

  it('when a dataset is deleted, then it is gone from storage, reads and the list', async () => {
    await upload('doomed', 'a,b\n1,2\n');

    expect((await request(`${api.url}/v1/datasets/doomed`, { method: 'DELETE' })).status).toBe(204);
    expect((await request(`${api.url}/v1/datasets/doomed`)).status).toBe(404);
    expect((await request(`${api.url}/v1/datasets/doomed`, { method: 'DELETE' })).status).toBe(404);
    const names = (await request(`${api.url}/v1/datasets`)).body.datasets.map((d: { name: string }) => d.name);
    expect(names).not.toContain('doomed');
    expect(storedFiles().filter((file) => file.startsWith('doomed.'))).toEqual([]);
  });

  it('when the name is unknown or malformed, then it answers 404 or 400', async () => {
    expect((await request(`${api.url}/v1/datasets/nothing-here`)).body.error.code).toBe('not_found');
    expect((await request(`${api.url}/v1/datasets/..%2Fetc`)).status).toBe(400);
    expect((await request(`${api.url}/v1/datasets/iris`, { method: 'DELETE' })).status).toBe(409);
  });
});
