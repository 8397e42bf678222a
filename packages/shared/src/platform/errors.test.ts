import { describe, expect, it } from 'vitest';
import { AppError, ConflictError, DataError, errorCatalog, InvalidRequestError, isErrorCode, NotFoundError, UnavailableError } from './errors.js';

describe('the error catalog', () => {
  it('gives every code an error status, and retries only server-side failures', () => {
    for (const [code, { status, retryable }] of Object.entries(errorCatalog)) {
      expect(status, code).toBeGreaterThanOrEqual(400);
      expect(status, code).toBeLessThan(600);
      if (retryable) expect(status, code).toBeGreaterThanOrEqual(500);
    }
  });

  it('knows its own codes and nothing else, inherited names included', () => {
    expect(isErrorCode('not_found')).toBe(true);
    expect(isErrorCode('teapot')).toBe(false);
    expect(isErrorCode('constructor')).toBe(false);
  });

  it.each([
    [new NotFoundError('no model'), 404, false],
    [new InvalidRequestError('bad', [{ path: 'inputs.0', message: 'too short' }]), 400, false],
    [new ConflictError('already_finished', 'done'), 409, false],
    [new DataError('empty column'), 400, false],
    [new UnavailableError('Redis away'), 503, true],
    [new AppError('timeout', 'too long'), 504, false],
  ] as const)('%s answers %i, retryable %s', (error, status, retryable) => {
    expect(error.status).toBe(status);
    expect(error.retryable).toBe(retryable);
    expect(error.name).toBe(error.constructor.name);
  });

  it('writes the one error body, with issues only when there are some', () => {
    expect(new NotFoundError('no model').toBody()).toEqual({ error: { code: 'not_found', message: 'no model' } });
    expect(new InvalidRequestError('bad', [{ path: 'x', message: 'y' }]).toBody()).toEqual({
      error: { code: 'invalid_request', message: 'bad', issues: [{ path: 'x', message: 'y' }] },
    });
  });
});
