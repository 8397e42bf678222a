/**
 * A private Redis Cluster of three masters with a replica each, on private ports, its node files in
 * a temporary folder; `stop()` ends every process and removes the folder.
 */
export declare class PrivateCluster {
  private constructor();
  static start(): Promise<PrivateCluster>;
  /** The seed nodes as REDIS_URL. */
  get url(): string;
  /** The ports of the nodes still running. */
  get ports(): number[];
  /** Waits until every running node reports cluster_state:ok and they agree on one master per slot range. */
  untilHealthy(timeoutMs?: number): Promise<void>;
  /** The port of the master that holds `key`'s slot, as node `via` sees it. */
  masterOf(key: string, via?: number): Promise<number>;
  /** Kills one node at once (SIGKILL), as a crashed host. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again on its port; resolves once it is a replica of the master that took over. */
  restart(port: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}
