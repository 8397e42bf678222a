import { describe, expect, it } from 'vitest';
import { parseEnv } from '../platform/env.js';
import { checkDeadlineEnv, deadlineEnv, deadlineLimits, deadlineOf, resolveDeadline } from './deadlines.js';

const schema = deadlineEnv.superRefine(checkDeadlineEnv);
const limits = deadlineLimits(parseEnv(schema, { TRAIN_TIMEOUT_S: '60', TRAIN_TIMEOUT_MAX_S: '120', TRAIN_EXPIRES_S: '30', TRAIN_EXPIRES_MAX_S: '90' }));
const now = 1_700_000_000_000;

describe('deadline settings', () => {
  it('have defaults per queue: a timeout always, an expiry only when configured', () => {
    const defaults = deadlineLimits(parseEnv(schema, {}));
    expect(defaults.train.timeout).toEqual({ default: 3_600, max: 21_600 });
    expect(defaults.predict.timeout).toEqual({ default: 60, max: 3_600 });
    expect(defaults.train.expires.default).toBeUndefined();
  });

  it('refuse a default above its maximum, naming the variable', () => {
    expect(() => parseEnv(schema, { PREDICT_TIMEOUT_S: '100', PREDICT_TIMEOUT_MAX_S: '50' })).toThrow(/PREDICT_TIMEOUT_S: is above PREDICT_TIMEOUT_MAX_S \(50\)/);
    expect(() => parseEnv(schema, { TRAIN_EXPIRES_S: '0' })).toThrow(/TRAIN_EXPIRES_S/);
  });
});

describe('resolveDeadline', () => {
  it('applies the queue defaults when the request names none', () => {
    expect(resolveDeadline(limits.train, {}, now)).toEqual({ deadline: { timeout_ms: 60_000, expires_at: now + 30_000 } });
  });

  it('takes what the request asks for up to the maxima', () => {
    expect(resolveDeadline(limits.train, { timeout_s: 120, expires_s: 90 }, now)).toEqual({ deadline: { timeout_ms: 120_000, expires_at: now + 90_000 } });
  });

  it('names the field that asks for more than the maximum', () => {
    expect(resolveDeadline(limits.train, { timeout_s: 121 }, now)).toEqual({ issue: { path: 'timeout_s', message: 'must be at most 120' } });
    expect(resolveDeadline(limits.train, { expires_s: 91 }, now)).toEqual({ issue: { path: 'expires_s', message: 'must be at most 90' } });
  });

  it('leaves the expiry out when neither the request nor the server sets one', () => {
    expect(resolveDeadline(limits.predict, {}, now)).toEqual({ deadline: { timeout_ms: 60_000 } });
  });
});

describe('deadlineOf', () => {
  it('reads the deadline from job data, and none from a job queued without one', () => {
    expect(deadlineOf({ model: 'm', deadline: { timeout_ms: 5, expires_at: 9 } })).toEqual({ timeout_ms: 5, expires_at: 9 });
    expect(deadlineOf({ model: 'm' })).toEqual({});
  });
});
