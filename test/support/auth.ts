/**
 * The admin key of tenant `default` every API a test starts has (BOOTSTRAP_API_KEY): tests run on
 * their own key prefix, so one well-known key serves them all.
 */
export const testAdminKey = `ty_${'trainyard-test-admin-key'.padEnd(43, '0')}`;

export function bearer(key: string = testAdminKey): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

/** Bull Board's basic auth with an admin key as the password (any user name). */
export function boardAuth(key: string = testAdminKey): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`admin:${key}`).toString('base64')}` };
}

export interface KeyRequest {
  tenant: string;
  scopes?: ('read' | 'submit' | 'manage' | 'admin')[];
  name?: string;
  min_priority?: number;
  expires_at?: string;
}

/** Creates a key through POST /v1/admin/keys with the test admin key; returns the key and its id. */
export async function createKey(baseUrl: string, key: KeyRequest): Promise<{ key: string; id: string }> {
  const response = await fetch(`${baseUrl}/v1/admin/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer() },
    body: JSON.stringify({ name: 'test', scopes: ['read', 'submit', 'manage'], ...key }),
  });
  const body = (await response.json()) as { key: string; id: string };
  if (response.status !== 201) throw new Error(`POST /v1/admin/keys answered ${response.status}: ${JSON.stringify(body)}`);
  return { key: body.key, id: body.id };
}
