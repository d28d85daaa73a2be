import { describe, expect, it } from "vitest";
import { defaultReconnectAfterMs, defaultRejoinAfterMs, exponentialBackoff, phoenixSteps } from "../../src/backoff";
import { Timer } from "../../src/timer";
import { afterEach, beforeEach, vi } from "vitest";

describe("phoenixSteps", () => {
  it("walks the steps, then stays on the final delay", () => {
    const f = phoenixSteps([10, 20], 99);
    expect([1, 2, 3, 100].map(f)).toEqual([10, 20, 99, 99]);
  });
  it("matches phoenix.js's defaults", () => {
    expect([1, 9, 10].map(defaultReconnectAfterMs)).toEqual([10, 2000, 5000]);
    expect([1, 3, 4].map(defaultRejoinAfterMs)).toEqual([1000, 5000, 10000]);
  });
});

describe("exponentialBackoff", () => {
  it("doubles from base up to max with no jitter", () => {
    const f = exponentialBackoff({ base: 100, max: 1000, jitter: "none" });
    expect([1, 2, 3, 4, 5, 6].map(f)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });
  it("full jitter spreads over [0, d]", () => {
    expect(exponentialBackoff({ base: 100, max: 1000, jitter: "full", random: () => 0 })(3)).toBe(0);
    expect(exponentialBackoff({ base: 100, max: 1000, jitter: "full", random: () => 0.5 })(3)).toBe(200);
    expect(exponentialBackoff({ base: 100, max: 1000, jitter: "full", random: () => 0.999999 })(3)).toBe(400);
  });
  it("equal jitter stays within [d/2, d]", () => {
    expect(exponentialBackoff({ base: 100, jitter: "equal", random: () => 0 })(2)).toBe(100);
    expect(exponentialBackoff({ base: 100, jitter: "equal", random: () => 0.999999 })(2)).toBe(200);
  });
  it("defaults to full jitter with base 100 and a 30 s cap, and stays finite for huge attempt numbers", () => {
    const f = exponentialBackoff({ random: () => 1 });
    expect(f(1)).toBe(100);
    expect(f(5000)).toBe(30000);
    expect(f(Number.NaN)).toBe(100);
    expect(f(0)).toBe(100);
    const real = exponentialBackoff();
    for (let i = 1; i < 50; i++) {
      const v = real(i);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(30000);
    }
  });
  it("rejects bad options with a clear error", () => {
    expect(() => exponentialBackoff({ base: -1 })).toThrow(RangeError);
    expect(() => exponentialBackoff({ max: Number.POSITIVE_INFINITY })).toThrow(/max/);
    expect(() => exponentialBackoff({ jitter: "lots" as "full" })).toThrow(/jitter/);
  });
});

describe("Timer", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  it("schedules with growing delays and resets", () => {
    const cb = vi.fn();
    const t = new Timer(cb, (tries) => tries * 10);
    expect(t.scheduleTimeout()).toBe(10);
    expect(t.isScheduled()).toBe(true);
    expect(t.nextDelayMs).toBe(10);
    vi.advanceTimersByTime(10);
    expect(cb).toHaveBeenCalledTimes(1);
    expect(t.tries).toBe(1);
    expect(t.nextDelayMs).toBeNull();
    t.scheduleTimeout();
    vi.advanceTimersByTime(19);
    expect(cb).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(cb).toHaveBeenCalledTimes(2);
    t.scheduleTimeout();
    t.reset();
    expect(t.tries).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
