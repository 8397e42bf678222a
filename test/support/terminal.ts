import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Terminal {
  /** The screen as it stands: the pane's visible lines, trailing blanks dropped. */
  screen(): Promise<string>;
  /** Polls the screen until `pattern` matches it, keeping every distinct screen seen on the way. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Every distinct screen seen by waitFor so far, oldest first. */
  screens: string[];
  close(): Promise<void>;
}

/**
 * Runs a shell command in a real pseudo-terminal: a tmux pane of the given size on a private tmux
 * server, read back with capture-pane, as a person would see it. The pane stays after the command
 * ends, so its last screen can still be read.
 */
export async function startTerminal(command: string, options: { env?: Record<string, string>; cwd?: string; width?: number; height?: number } = {}): Promise<Terminal> {
  const socket = `ty-${randomBytes(4).toString('hex')}`;
  const tmux = (...args: string[]) => run('tmux', ['-L', socket, '-f', '/dev/null', ...args], { cwd: options.cwd });
  const exports = Object.entries(options.env ?? {})
    .map(([name, value]) => `export ${name}='${value.replaceAll("'", "'\\''")}'; `)
    .join('');
  await tmux('new-session', '-d', '-x', String(options.width ?? 100), '-y', String(options.height ?? 24), `${exports}${command}; echo "[exit $?]"; sleep 600`);
  const screens: string[] = [];
  const screen = async () => (await tmux('capture-pane', '-p')).stdout.replace(/\s+$/, '');
  return {
    screen,
    screens,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const current = await screen();
        if (current !== screens.at(-1)) screens.push(current);
        if (pattern.test(current)) return current;
        if (Date.now() > deadline) throw new Error(`no screen matching ${pattern} within ${timeoutMs} ms; last screen:\n${current}`);
        await sleep(50);
      }
    },
    close: async () => void (await tmux('kill-server').catch(() => {})),
  };
}
