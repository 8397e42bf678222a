import { execFile, execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { repoRoot } from './compose-file.js';

const run = promisify(execFile);

/** `docker compose` (v2) when the docker CLI has it, else `docker-compose` (v1, 1.29). */
function composeBinary(): string[] {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return ['docker', 'compose'];
  } catch {
    return ['docker-compose'];
  }
}

/** One compose project, run from the repository root with the documented defaults. */
export class ComposeProject {
  private readonly binary = composeBinary();

  constructor(
    readonly name: string,
    /** Added to the environment of every compose call (ports, for instance). */
    private readonly env: Record<string, string>,
  ) {}

  get cli(): string {
    return this.binary.join(' ');
  }

  /** Runs a compose command; resolves to its stdout, rejects with stderr on a non-zero exit. */
  async compose(...args: string[]): Promise<string> {
    const [command, ...prefix] = this.binary;
    // .env.example, not a developer's .env: the smoke test runs the stack as documented.
    const options = ['-p', this.name, '--env-file', '.env.example'];
    const argv = [...prefix, ...options, ...args];
    try {
      const { stdout } = await run(command!, argv, {
        cwd: fileURLToPath(repoRoot),
        env: { ...process.env, ...this.env },
        maxBuffer: 64 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      const tail = stdout.trim().split('\n').slice(-30).join('\n');
      throw new Error(`${[command, ...argv].join(' ')} failed:\n${tail}\n${stderr.trim()}`);
    }
  }

  /** Container ids of a service's running replicas. */
  async containers(service: string): Promise<string[]> {
    return (await this.compose('ps', '-q', service)).split('\n').filter(Boolean);
  }
}

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout.trim();
}
