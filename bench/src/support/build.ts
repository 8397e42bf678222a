import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';

/** Which commit the measured build comes from, and whether its tree had uncommitted changes. */
export function describeBuild(entryPoint: string): string {
  const git = (...args: string[]) => execFileSync('git', ['-C', dirname(entryPoint), ...args], { encoding: 'utf8' }).trim();
  try {
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--untracked-files=no', '--', ':/apps', ':/packages') !== '';
    return `commit ${commit}${dirty ? ' with uncommitted changes in apps/ or packages/' : ''}`;
  } catch {
    return 'unknown (not in a git work tree)';
  }
}
