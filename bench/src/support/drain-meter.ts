/** Told when a drain's clock starts (at `resume`) and stops (its last task completed), to read counters over exactly that span. */
export interface DrainMeter {
  started(): void | Promise<void>;
  stopped(): void | Promise<void>;
}
