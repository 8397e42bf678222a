// The admin key `npm start` hands the API as BOOTSTRAP_API_KEY, kept in .data/admin-key.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { newApiKey } from '../apps/api/dist/auth/api-keys.js';

export const adminKeyFile = '.data/admin-key';

/**
 * The key in .data/admin-key; on the first start (no file yet) a new one, written there readable by
 * this user only and printed once. BOOTSTRAP_API_KEY, when set, wins.
 */
export function adminKey() {
  if (process.env.BOOTSTRAP_API_KEY) return process.env.BOOTSTRAP_API_KEY;
  if (existsSync(adminKeyFile)) return readFileSync(adminKeyFile, 'utf8').trim();
  const key = newApiKey();
  mkdirSync('.data', { recursive: true });
  writeFileSync(adminKeyFile, `${key}\n`, { mode: 0o600 });
  console.log(
    `\nAn admin API key for tenant "default" (shown once, kept in ${adminKeyFile}, mode 0600):\n\n  ${key}\n\n` +
      `Use it as  -H "authorization: Bearer $(cat ${adminKeyFile})"  and create narrower keys with  npm run keys -- create\n`,
  );
  return key;
}
