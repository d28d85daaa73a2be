/**
 * The retry timer behind `socket.reconnectTimer` and `channel.rejoinTimer`.
 * @module
 */

/** Picks the delay (ms) before attempt number `tries` (1-based). */
export type TimerCalc = (tries: number) => number;

/**
 * Runs `callback` after a delay that grows with each attempt, until `reset()`.
 * Field and method names match phoenix.js's `Timer`, which wrappers and tests reach for.
 *
 * @example
 * ```ts
 * const timer = new Timer(() => reconnect(), tries => [10, 50, 100][tries - 1] ?? 5000)
 * timer.scheduleTimeout() // runs reconnect() in 10 ms, then 50 ms on the next call...
 * timer.reset()           // cancels and starts over from attempt 1
 * ```
 */
export class Timer {
  // Declared, not initialized here: the constructor's `reset()` sets all three.
  /** The pending timeout, if any. */
  declare timer: ReturnType<typeof setTimeout> | undefined;
  /** Attempts made since the last `reset()`. */
  declare tries: number;
  /** The delay chosen by the last `scheduleTimeout()`, or `null` when nothing is scheduled. */
  declare nextDelayMs: number | null;

  /**
   * @param callback runs on each attempt (with `arg`, which lets owners share one function
   *   instead of allocating a closure each)
   * @param timerCalc picks the delay of attempt `tries`
   */
  constructor(
    public callback: (arg?: never) => void,
    public timerCalc: TimerCalc,
    private readonly _arg?: unknown,
  ) {
    this.reset();
  }

  /** Cancels the pending attempt and forgets the attempts made so far. */
  reset(): void {
    this.tries = 0;
    this.cancel();
  }

  /** Cancels the pending attempt but keeps the attempt count. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.nextDelayMs = null;
  }

  /** True while an attempt is scheduled. */
  isScheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Schedules the next attempt, replacing a pending one. Returns the delay chosen. */
  scheduleTimeout(): number {
    this.cancel();
    const delay = this.timerCalc(this.tries + 1);
    this.timer = setTimeout(() => {
      this.cancel();
      this.tries++;
      (this.callback as (arg: unknown) => void)(this._arg);
    }, delay);
    return (this.nextDelayMs = delay);
  }
}
