/**
 * Reconnect and rejoin schedules, usable as `reconnectAfterMs` / `rejoinAfterMs`.
 * @module
 */
import { RECONNECT_FINAL_MS, RECONNECT_STEPS_MS, REJOIN_FINAL_MS, REJOIN_STEPS_MS } from "./protocol";

/** Maps an attempt number (1-based) to a delay in ms. */
export type BackoffFn = (tries: number) => number;

/**
 * A fixed list of delays, then `final` for every later attempt (phoenix.js's scheme).
 *
 * @example
 * ```ts
 * new Socket("/socket", { reconnectAfterMs: phoenixSteps([100, 500], 3000) })
 * ```
 */
export function phoenixSteps(steps: readonly number[], final: number): BackoffFn {
  const list = steps.slice();
  return (tries) => list[tries - 1] ?? final;
}

/** phoenix.js's default reconnect schedule: 10, 50, 100, 150, 200, 250, 500, 1000, 2000, then 5000 ms. */
export const defaultReconnectAfterMs: BackoffFn = (tries) => RECONNECT_STEPS_MS[tries - 1] ?? RECONNECT_FINAL_MS;
/** phoenix.js's default rejoin schedule: 1000, 2000, 5000, then 10000 ms. */
export const defaultRejoinAfterMs: BackoffFn = (tries) => REJOIN_STEPS_MS[tries - 1] ?? REJOIN_FINAL_MS;

/** How random the exponential delay is. */
export type Jitter = "full" | "equal" | "none";

/** Options of {@link exponentialBackoff}. */
export interface ExponentialBackoffOptions {
  /** Delay of the first attempt before jitter, in ms. Default 100. */
  base?: number;
  /** Cap on the delay before jitter, in ms. Default 30000. */
  max?: number;
  /**
   * `"full"`: uniform in [0, d]; `"equal"`: d/2 plus uniform in [0, d/2]; `"none"`: exactly d,
   * where d = min(max, base * 2^(tries-1)). Default `"full"`, which spreads a crowd of clients
   * reconnecting after a deploy the most.
   */
  jitter?: Jitter;
  /** Source of randomness in [0, 1); `Math.random` by default. Inject one for deterministic tests. */
  random?: () => number;
}

/**
 * Exponential backoff with a cap and optional jitter.
 * @throws RangeError when `base` or `max` is negative or not finite.
 *
 * @example
 * ```ts
 * new Socket("/socket", {
 *   reconnectAfterMs: exponentialBackoff({ base: 250, max: 10_000, jitter: "full" }),
 *   rejoinAfterMs: exponentialBackoff({ base: 1000, max: 30_000, jitter: "equal" }),
 * })
 * ```
 */
export function exponentialBackoff(options: ExponentialBackoffOptions = {}): BackoffFn {
  const base = options.base ?? 100;
  const max = options.max ?? 30000;
  const jitter = options.jitter ?? "full";
  const random = options.random ?? Math.random;
  // Only a given option can be invalid (the defaults are not), so the error quotes `options`.
  const check = (name: "base" | "max" | "jitter", valid: boolean, expected: string): void => {
    if (!valid) throw new RangeError(`exponentialBackoff: ${name} must be ${expected}, got ${String(options[name])}`);
  };
  for (const [name, value] of [["base", base], ["max", max]] as const) {
    check(name, Number.isFinite(value) && value >= 0, "a finite number >= 0");
  }
  check("jitter", ["full", "equal", "none"].includes(jitter), '"full", "equal" or "none"');
  return (tries) => {
    // Attempt numbers below 1 or not finite count as the first attempt. Past 2^52 the product
    // only saturates; clamping the exponent keeps it finite.
    // (`tries < Infinity` is false for NaN and Infinity; -Infinity ends up at 0 through Math.max.)
    const d = Math.min(max, base * 2 ** (tries < Infinity ? Math.min(Math.max(0, Math.floor(tries) - 1), 52) : 0));
    return jitter === "none" ? d : Math.round(jitter === "full" ? random() * d : (d + random() * d) / 2);
  };
}
