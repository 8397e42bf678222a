import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { JsonRowsToCsv } from './json-rows.js';

/** Feeds the bytes in pieces of `size`, so tokens, strings and UTF-8 characters are cut apart. */
function convert(json: string, size: number): Promise<string> {
  const bytes = Buffer.from(json);
  const pieces = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
  return text(Readable.from(pieces).pipe(new JsonRowsToCsv()));
}

const rows = '[\n  {"name": "Zoë, \\"the\\" {first}", "n": 1.5e3, "ok": true},\n  {"ok": false, "n": -2, "name": null}\n]\n';
const csv = '"name","n","ok"\n"Zoë, ""the"" {first}",1500,true\n,-2,false\n';

describe('JsonRowsToCsv', () => {
  it.each([1, 2, 7, 4096])('gives the same CSV whatever the chunk size (%i bytes)', async (size) => {
    expect(await convert(rows, size)).toBe(csv);
  });

  it.each([
    ['a trailing comma', '[{"a":1},]', /line 1: expected a row object, found "]"/],
    ['a missing comma', '[{"a":1}\n{"a":2}]', /line 2: expected "," or "]"/],
    ['text after the array', '[{"a":1}] x', /nothing after the closing \]/],
    ['an unfinished array', '[{"a":1}', /ends before the array's closing \]/],
    ['a broken row', '[{"a":1},\n{"a":}]', /row 2 \(line 2\): invalid JSON/],
    ['an extra key', '[{"a":1},{"a":2,"b":3}]', /row 2 \(line 1\): has keys a, b; the first row has a/],
  ])('names the place of %s', async (_what, json, message) => {
    await expect(convert(json, 3)).rejects.toThrow(message);
  });
});
