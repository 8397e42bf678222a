// The admin key `npm start` hands the API as BOOTSTRAP_API_KEY, kept in .data/admin-key.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { newApiKey } from '../apps/api/dist/auth/api-keys.js';

export const adminKeyFile = '.data/admin-key';

/**
 * BOOTSTRAP_API_KEY when it is set; else the key in `file`; on the first start (no file yet) a new
 * one, written there readable by this user only and printed once.
 */
export function adminKey(file = adminKeyFile, env = process.env) {
  if (env.BOOTSTRAP_API_KEY) return env.BOOTSTRAP_API_KEY;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = newApiKey();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  console.log(
    `\nAn admin API key for tenant "default" (shown once, kept in ${file}, mode 0600):\n\n  ${key}\n\n` +
      `Use it as  -H "authorization: Bearer $(cat ${file})"  and create narrower keys with  npm run keys -- create\n`,
  );
  return key;
}
