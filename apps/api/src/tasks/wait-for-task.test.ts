import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '@trainyard/shared/platform';
import { preferredWait, waitQuery } from './wait-for-task.js';

describe('Prefer: wait=N', () => {
  it.each([
    ['wait=5', 5],
    ['respond-async, wait=10', 10],
    ['wait="7"', 7],
    ['Wait = 3', 3],
    ['return=representation; wait=2', 2],
    ['wait=0', 0],
  ])('reads %j as %d seconds', (header, seconds) => {
    expect(preferredWait(header)).toBe(seconds);
  });

  it('caps a longer wait at 60 seconds', () => {
    expect(preferredWait('wait=3600')).toBe(60);
  });

  it.each([undefined, '', 'respond-async', 'wait=soon', 'nowait=5', 'wait=-1'])('ignores %j', (header) => {
    expect(preferredWait(header)).toBeNull();
  });
});

describe('?wait=N', () => {
  it('is absent, or 0 to 60 seconds', () => {
    expect(waitQuery(undefined)).toBeNull();
    expect(waitQuery('0')).toBe(0);
    expect(waitQuery('60')).toBe(60);
  });

  it.each(['61', '-1', '1.5', 'soon', '', '007'])('refuses %j, naming wait', (value) => {
    const error = (() => {
      try {
        waitQuery(value);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as InvalidRequestError).issues).toEqual([{ path: 'wait', message: expect.stringContaining('0 to 60') }]);
  });

  it('refuses a repeated parameter', () => {
    expect(() => waitQuery(['1', '2'])).toThrow(InvalidRequestError);
  });
});
