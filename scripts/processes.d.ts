import type { ChildProcess } from 'node:child_process';

export declare const apiNodeFlags: readonly string[];
export declare function reachable(url: string, timeoutMs?: number): Promise<boolean>;
export declare function ensureRedis(url: string, children: ChildProcess[]): Promise<void>;
export declare function metricsPort(offset: number): { METRICS_PORT?: string };
export declare function startNode(entry: string, env?: Record<string, string>, nodeFlags?: readonly string[]): ChildProcess;
export declare function superviseChildren(children: ChildProcess[]): void;
