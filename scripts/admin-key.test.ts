import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { adminKey } from './admin-key.js';

const dir = mkdtempSync(join(tmpdir(), 'ty-admin-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npm start's admin key", () => {
  it('is made once, kept readable by its owner only, and read back on every later start', () => {
    const file = join(dir, '.data', 'admin-key');
    const first = adminKey(file, {});
    expect(first).toMatch(/^ty_[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(`${first}\n`);
    expect(adminKey(file, {})).toBe(first);
  });

  it('is BOOTSTRAP_API_KEY when that is set, and then no file is written', () => {
    const file = join(dir, 'other', 'admin-key');
    expect(adminKey(file, { BOOTSTRAP_API_KEY: 'ty_given' })).toBe('ty_given');
    expect(() => statSync(file)).toThrow();
  });
});
