import type { RedisClient } from './redis.js';

/** What keeps copies of Redis data in memory and drops them when told they changed. */
export interface ChangeFollower {
  /** A message on the follower's channel: what changed, in the publisher's words. */
  changed(message: string): void;
  /** Messages may have been lost: drop everything. */
  forgetAll(): void;
}

/**
 * One subscribed connection per process through which whoever changes something that processes
 * keep in memory (a revoked API key, a model's versions or aliases) tells every one of them, by
 * publishing on the thing's channel right after the change. Messages published while the connection
 * is down are lost, so every follower forgets all it keeps when the connection closes and again
 * once it is subscribed after a reconnect, and nothing may be kept in between (`keeps`).
 */
export class ChangeFeed {
  private readonly followers = new Map<string, ChangeFollower[]>();
  private subscribed = false;
  /** Counts messages and resets, so a read that raced one does not keep what it read before it. */
  private generation = 0;

  constructor(private readonly subscriber: RedisClient) {
    subscriber.on('message', (channel: string, message: string) => {
      this.generation++;
      for (const follower of this.followers.get(channel) ?? []) follower.changed(message);
    });
    subscriber.on('close', () => {
      this.subscribed = false;
      this.forgetAll();
    });
    // ioredis subscribes again after 'ready'; ours goes after it, so once it is answered every channel is followed.
    subscriber.on('ready', () => {
      this.forgetAll();
      if (this.followers.size) void this.resubscribe();
    });
  }

  /** Subscribes a follower to a channel; resolves once messages on it arrive. */
  async follow(channel: string, follower: ChangeFollower): Promise<void> {
    this.followers.set(channel, [...(this.followers.get(channel) ?? []), follower]);
    // A subscribe queued before the connection is ready would fail ioredis' ready check (INFO);
    // while Redis is down this waits for it (not events.once, which an 'error' would end).
    if (this.subscriber.status !== 'ready') await new Promise((resolve) => this.subscriber.once('ready', resolve));
    await this.subscriber.subscribe(channel);
    this.subscribed = true;
  }

  /** Taken before a read from Redis: hand it to `keeps` once the read is back. */
  ticket(): number {
    return this.generation;
  }

  /** Whether what was read since `ticket` may be kept: no message or reset came meanwhile, and the feed is listening. */
  keeps(ticket: number): boolean {
    return this.subscribed && ticket === this.generation;
  }

  close(): void {
    this.subscriber.disconnect();
  }

  private async resubscribe(): Promise<void> {
    await this.subscriber.subscribe(...this.followers.keys()).then(
      () => (this.subscribed = this.subscriber.status === 'ready'),
      () => {}, // the connection went again; its next 'ready' tries again
    );
  }

  private forgetAll(): void {
    this.generation++;
    for (const followers of this.followers.values()) for (const follower of followers) follower.forgetAll();
  }
}
