import type { AliasTarget } from '@trainyard/client';
import { UsageError } from './rows.js';

/** `3` → one version; `3=90,4=10` → a split by weight; either with a shadow version. */
export function aliasTargetFromArgument(argument: string, shadow?: string): AliasTarget {
  const version = (text: string, what: string) => {
    if (!/^[1-9]\d*$/.test(text.trim())) throw new UsageError(`${what}: "${text}" is not a version number`);
    return Number(text);
  };
  const withShadow = shadow === undefined ? {} : { shadow: version(shadow, '--shadow') };
  if (!argument.includes('=')) return { version: version(argument, 'version'), ...withShadow };
  const versions: Record<string, number> = {};
  for (const part of argument.split(',')) {
    const [number = '', weight = '', ...extra] = part.split('=');
    if (extra.length || !/^[1-9]\d*$/.test(weight.trim())) throw new UsageError(`"${part}" is not version=weight with a positive whole weight`);
    versions[version(number, 'split')] = Number(weight);
  }
  return { versions, ...withShadow };
}

/** `v3 90 %, v4 10 % (shadow v5)`: a route as a line. */
export function describeRoute(route: { versions: Record<string, number>; shadow?: number }): string {
  const total = Object.values(route.versions).reduce((sum, weight) => sum + weight, 0);
  const split = Object.entries(route.versions)
    .map(([version, weight]) => (Object.keys(route.versions).length === 1 ? `v${version}` : `v${version} ${Math.round((100 * weight) / total)} %`))
    .join(', ');
  return route.shadow === undefined ? split : `${split} (shadow v${route.shadow})`;
}
