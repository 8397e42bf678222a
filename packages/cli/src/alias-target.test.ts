import { describe, expect, it } from 'vitest';
import { aliasTargetFromArgument, describeRoute } from './alias-target.js';
import { UsageError } from './rows.js';

describe('aliasTargetFromArgument', () => {
  it('reads one version, a split by weight, and a shadow', () => {
    expect(aliasTargetFromArgument('3')).toEqual({ version: 3 });
    expect(aliasTargetFromArgument('3=90,4=10')).toEqual({ versions: { '3': 90, '4': 10 } });
    expect(aliasTargetFromArgument('3', '5')).toEqual({ version: 3, shadow: 5 });
  });

  it('refuses what is not a version or a positive whole weight', () => {
    for (const bad of ['three', '0', '3=', '3=0', '3=1.5', '3=90,x=10', '3=1=2']) expect(() => aliasTargetFromArgument(bad), bad).toThrow(UsageError);
    expect(() => aliasTargetFromArgument('3', 'v5')).toThrow(UsageError);
  });
});

describe('describeRoute', () => {
  it('shows shares in percent and the shadow', () => {
    expect(describeRoute({ versions: { '3': 9, '4': 1 }, shadow: 5 })).toBe('v3 90 %, v4 10 % (shadow v5)');
    expect(describeRoute({ versions: { '3': 1 } })).toBe('v3');
  });
});
