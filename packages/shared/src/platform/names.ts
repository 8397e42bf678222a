import { z } from 'zod';

/**
 * Every storage key is built from names that passed these patterns, so no "..", slash, NUL or
 * encoded character can ever reach a path or an S3 key.
 */
export const namePattern = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const nameRule = `must match ${namePattern.source}`;

export const modelName = z.string().regex(namePattern, nameRule);
export const datasetName = z.string().regex(namePattern, nameRule);
/** Aliases name a model version (production, staging); all-digit names would read as version numbers. */
export const aliasName = z.string().regex(/^(?![0-9]+$)[a-z0-9][a-z0-9_-]{0,62}$/, `${nameRule}, not digits only`);
/** Always the newest version; never stored as an alias. */
export const latestAlias = 'latest';

/** Column names come from CSV headers users write; they never become keys. */
export const columnName = z.string().min(1).max(128);

export function isValidName(value: string): boolean {
  return namePattern.test(value);
}
