import type { ErrorCode, ErrorIssue } from '@trainyard/shared/platform';

/** Codes of failures that never reached the API or that it did not answer as it should. */
export type ClientErrorCode = 'unreachable' | 'invalid_response';

/**
 * An error the API answered with (`code` from its error catalog, `status` its HTTP status,
 * `issues` naming each bad field), or a request that never got an answer (`unreachable`, status 0).
 */
export class TrainyardError extends Error {
  override name = 'TrainyardError';

  constructor(
    readonly code: ErrorCode | ClientErrorCode,
    message: string,
    readonly status: number,
    readonly issues: ErrorIssue[] = [],
  ) {
    super(message);
  }

  /** The error of a non-2xx answer, read from its `{ error: { code, message, issues? } }` body. */
  static async fromResponse(response: Response): Promise<TrainyardError> {
    const text = await response.text().catch(() => '');
    try {
      const { error } = JSON.parse(text) as { error: { code: ErrorCode; message: string; issues?: ErrorIssue[] } };
      return new TrainyardError(error.code, error.message, response.status, error.issues);
    } catch {
      return new TrainyardError('invalid_response', `HTTP ${response.status}: ${text.slice(0, 200) || response.statusText}`, response.status);
    }
  }
}
