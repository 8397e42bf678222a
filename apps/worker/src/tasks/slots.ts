/**
 * A fixed number of slots shared by several BullMQ workers of one process (a queue's shard workers),
 * so that together they hold no more jobs than `limit`. A slot freed while others wait for one goes
 * to the one that has waited longest, so every shard gets its turn.
 */
export class Slots {
  private held = 0;
  private readonly waiting: ((taken: boolean) => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Takes a slot, waiting for one if all are held; false (none taken) if the signal aborts first. */
  take(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.held < this.limit && this.waiting.length === 0) {
      this.held++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter = (taken: boolean) => {
        signal.removeEventListener('abort', abandon);
        resolve(taken);
      };
      const abandon = () => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        waiter(false);
      };
      signal.addEventListener('abort', abandon, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Gives a slot back: straight to the longest waiter if any (the count of held slots stays). */
  release(): void {
    const next = this.waiting.shift();
    if (next) next(true);
    else this.held--;
  }
}
