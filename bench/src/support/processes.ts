import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { within } from './wait.js';

export interface NodeProcessOptions {
  /** Shown in errors and in the report. */
  label: string;
  script: string;
  env: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

const keptLines = 40;
/** USER_HZ: Linux reports process CPU times in hundredths of a second on every architecture we run. */
const clockTicksPerSecond = 100;
const stopGraceMs = 10_000;

/** A server or worker run as its own Node process, with its output kept for error messages. */
export class NodeProcess {
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private stopping = false;
  private readonly exited: Promise<void>;

  private constructor(readonly label: string, options: NodeProcessOptions) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
      env: { ...process.env, NODE_ENV: 'production', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => this.keep(chunk));
    }
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        // A death mid-run otherwise surfaces only as a refused connection somewhere else.
        if (!this.stopping) console.error(`${this.label} exited unexpectedly (code ${code}, signal ${signal}); last output:\n${this.output()}`);
        resolve();
      });
    });
  }

  static start(options: NodeProcessOptions): NodeProcess {
    return new NodeProcess(options.label, options);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.label} did not start`);
    return this.child.pid;
  }

  /** Throws with the process' last output when it has died. */
  assertRunning(): void {
    if (this.exit) {
      throw new Error(
        `${this.label} exited (code ${this.exit.code}, signal ${this.exit.signal}); last output:\n${this.output()}`,
      );
    }
  }

  output(): string {
    return this.tail.join('\n');
  }

  /** Resident memory of the process and every process it started (sandboxed processors count too). */
  rssBytes(): number {
    this.assertRunning();
    return processTree(this.pid).reduce((sum, pid) => sum + residentBytes(pid), 0);
  }

  /** CPU time the process has used so far (user + system), in seconds. */
  cpuSeconds(): number {
    this.assertRunning();
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // After the command name (which may hold spaces): state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  }

  /** SIGTERM, so the process shuts down as in production (and writes its CPU profile); SIGKILL if it hangs. */
  async stop(): Promise<void> {
    if (this.exit) return;
    this.stopping = true;
    this.child.kill('SIGTERM');
    try {
      await within(`${this.label} to exit`, stopGraceMs, this.exited);
    } catch {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  private keep(chunk: string): void {
    this.tail.push(...chunk.split('\n').filter(Boolean));
    this.tail.splice(0, Math.max(0, this.tail.length - keptLines));
  }
}

/** The pid and all its descendants, from /proc (Linux only, like the machine the bench runs on). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = parentOf(Number(entry));
    if (ppid === null) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]!) ?? []));
  return tree;
}

function parentOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields resume after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null; // exited while we looked
  }
}

function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
