/**
 * Differential: Push and the retry Timer, run against phoenix.js 1.8.16 (the oracle) and ours
 * with the same expectations. The Push and Timer classes are reached through instances
 * (`channel.joinPush.constructor`, `socket.reconnectTimer.constructor`) because phoenix.js
 * does not export them.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import { IMPLS, ManualTransport, joinOk, manualSocket, useCompatCleanup } from "./impls";

useCompatCleanup();

describe.each(IMPLS)("Push (%s)", (_name, impl) => {
  /** A socket on an open transport and a joined channel. */
  function joined(opts: Record<string, unknown> = {}): { socket: any; t: ManualTransport; channel: any } {
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 600000, ...opts });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    return { socket, t, channel };
  }

  function replyTo(t: ManualTransport, channel: any, push: any, status: string, response: unknown): void {
    t.receive(channel.joinRef(), push.ref, channel.topic, "phx_reply", { status, response });
  }

  it("has channel, event, payload function, timeout and no reply before sending", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const PushClass = channel.joinPush.constructor;
    const push = new PushClass(channel, "evt", () => ({ a: 1 }), 1234);
    expect(push.channel).toBe(channel);
    expect(push.event).toBe("evt");
    expect(push.payload()).toEqual({ a: 1 });
    expect(push.timeout).toBe(1234);
    expect(push.receivedResp).toBeNull();
    expect(push.timeoutTimer).toBeNull();
  });

  it("channel.push() returns a Push with the event, a payload function and the channel timeout", () => {
    const { channel } = joined({ timeout: 777 });
    const push = channel.push("evt", { b: 2 });
    expect(push.event).toBe("evt");
    expect(push.payload()).toEqual({ b: 2 });
    expect(push.timeout).toBe(777);
    expect(push.channel).toBe(channel);
    expect(push.ref).toEqual(expect.any(String));
  });

  it("holds a timeout timer while waiting and clears it on the reply", () => {
    vi.useFakeTimers();
    const { t, channel } = joined();
    const push = channel.push("evt", {});
    expect(push.timeoutTimer).not.toBeNull();
    replyTo(t, channel, push, "ok", {});
    expect(push.timeoutTimer).toBeNull();
  });

  it("receive() is chainable and returns the same push", () => {
    const { channel } = joined();
    const push = channel.push("evt", {});
    expect(push.receive("ok", () => {})).toBe(push);
    expect(push.receive("ok", () => {}).receive("error", () => {}).receive("timeout", () => {})).toBe(push);
  });

  it("records the reply as receivedResp {status, response}", () => {
    const { t, channel } = joined();
    const push = channel.push("evt", {});
    replyTo(t, channel, push, "ok", { id: 1 });
    expect(push.receivedResp).toEqual({ status: "ok", response: { id: 1 } });
  });

  it("calls every hook of the reply's status, in order, and no other", () => {
    const { t, channel } = joined();
    const calls: string[] = [];
    const push = channel
      .push("evt", {})
      .receive("ok", () => calls.push("ok1"))
      .receive("error", () => calls.push("error"))
      .receive("ok", () => calls.push("ok2"))
      .receive("timeout", () => calls.push("timeout"));
    replyTo(t, channel, push, "ok", {});
    expect(calls).toEqual(["ok1", "ok2"]);
  });

  it("calls a hook added after the reply at once with the response", () => {
    const { t, channel } = joined();
    const push = channel.push("evt", {});
    replyTo(t, channel, push, "error", { reason: "nope" });
    const late = vi.fn();
    const lateOk = vi.fn();
    push.receive("error", late).receive("ok", lateOk);
    expect(late).toHaveBeenCalledWith({ reason: "nope" });
    expect(lateOk).not.toHaveBeenCalled();
  });

  it("hasReceived(status) tells which reply came", () => {
    const { t, channel } = joined();
    const push = channel.push("evt", {});
    expect(push.hasReceived("ok")).toBeFalsy();
    replyTo(t, channel, push, "ok", {});
    expect(push.hasReceived("ok")).toBe(true);
    expect(push.hasReceived("error")).toBe(false);
  });

  it("times out after its timeout with an empty response", () => {
    vi.useFakeTimers();
    const { channel } = joined();
    const timeout = vi.fn();
    const push = channel.push("evt", {}, 250).receive("timeout", timeout);
    vi.advanceTimersByTime(249);
    expect(timeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(timeout).toHaveBeenCalledWith({});
    expect(push.receivedResp).toEqual({ status: "timeout", response: {} });
  });

  it("ignores a reply that arrives after the timeout", () => {
    vi.useFakeTimers();
    const { t, channel } = joined();
    const ok = vi.fn();
    const push = channel.push("evt", {}, 100).receive("ok", ok);
    const ref = push.ref;
    vi.advanceTimersByTime(100);
    t.receive(channel.joinRef(), ref, "room:1", "phx_reply", { status: "ok", response: {} });
    expect(ok).not.toHaveBeenCalled();
  });

  it("does not time out once answered", () => {
    vi.useFakeTimers();
    const { t, channel } = joined();
    const timeout = vi.fn();
    const push = channel.push("evt", {}, 100).receive("timeout", timeout);
    replyTo(t, channel, push, "ok", {});
    vi.advanceTimersByTime(1000);
    expect(timeout).not.toHaveBeenCalled();
  });

  it("resend(timeout) sends again with a new ref and the new timeout", () => {
    vi.useFakeTimers();
    const { t, channel } = joined();
    const timeout = vi.fn();
    const push = channel.push("evt", { n: 1 }, 100).receive("timeout", timeout);
    const firstRef = push.ref;
    vi.advanceTimersByTime(50);
    push.resend(300);
    expect(push.ref).not.toBe(firstRef);
    expect(push.timeout).toBe(300);
    expect(push.receivedResp).toBeNull();
    const frames = t.frames().filter((f) => f[3] === "evt");
    expect(frames.map((f) => f[1])).toEqual([firstRef, push.ref]);
    vi.advanceTimersByTime(299);
    expect(timeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(timeout).toHaveBeenCalledTimes(1);
  });

  it("resend() after a timeout lets the push be answered again", () => {
    vi.useFakeTimers();
    const { t, channel } = joined();
    const ok = vi.fn();
    const push = channel.push("evt", {}, 100).receive("ok", ok);
    vi.advanceTimersByTime(100);
    push.resend(100);
    replyTo(t, channel, push, "ok", { again: true });
    expect(ok).toHaveBeenCalledWith({ again: true });
  });

  it("send() puts a new push on the wire through socket.push with the channel's join ref", () => {
    const { socket, t, channel } = joined();
    const PushClass = channel.joinPush.constructor;
    const spy = vi.spyOn(socket, "push");
    const push = new PushClass(channel, "manual", () => ({ m: 1 }), 1000);
    push.send();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]![0]).toEqual({ topic: "room:1", event: "manual", payload: { m: 1 }, ref: push.ref, join_ref: channel.joinRef() });
    expect(t.frames().pop()).toEqual([channel.joinRef(), push.ref, "room:1", "manual", { m: 1 }]);
    push.cancelTimeout();
  });

  it("send() does nothing after the push timed out", () => {
    vi.useFakeTimers();
    const { t, channel } = joined();
    const push = channel.push("evt", {}, 100);
    vi.advanceTimersByTime(100);
    const before = t.sent.length;
    push.send();
    expect(t.sent.length).toBe(before);
  });

  it("trigger(status, response) delivers a reply to the hooks", () => {
    const { channel } = joined();
    const ok = vi.fn();
    const push = channel.push("evt", {}).receive("ok", ok);
    push.trigger("ok", { local: true });
    expect(ok).toHaveBeenCalledWith({ local: true });
    expect(push.receivedResp).toEqual({ status: "ok", response: { local: true } });
    expect(push.timeoutTimer).toBeNull();
  });

  it("push.trigger(status, response) goes through channel.trigger(push.refEvent, {status, response})", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const push = channel.push("evt", {});
    const spy = vi.spyOn(channel, "trigger");
    push.trigger("ok", { a: 1 });
    expect(spy).toHaveBeenCalledWith(`chan_reply_${push.ref}`, { status: "ok", response: { a: 1 } });
  });

  it("channel.trigger(push.refEvent, {status, response}) resolves the push", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const ok = vi.fn();
    const push = channel.push("evt", {}).receive("ok", ok);
    expect(push.refEvent).toBe(`chan_reply_${push.ref}`);
    channel.trigger(push.refEvent, { status: "ok", response: { b: 1 } });
    expect(ok).toHaveBeenCalledWith({ b: 1 });
  });

  it("the join push's trigger('ok') joins the channel, as test suites do to fake a server", () => {
    const { socket } = manualSocket(impl);
    const channel = socket.channel("room:1");
    const push = channel.join();
    channel.push("queued", {});
    push.trigger("ok", {});
    expect(channel.state).toBe("joined");
    expect(channel.pushBuffer).toEqual([]);
  });

  it("the join push's trigger('error') errors the channel", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join().trigger("error", {});
    expect(channel.state).toBe("errored");
  });

  it("the join push's trigger('timeout') errors the channel and sends a leave", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join().trigger("timeout", {});
    expect(channel.state).toBe("errored");
    expect(t.frames().map((f) => f[3])).toEqual(["phx_join", "phx_leave"]);
  });
});

describe.each(IMPLS)("Timer (%s)", (_name, impl) => {
  function makeTimer(callback: () => void, calc: (tries: number) => number): any {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const TimerClass = socket.reconnectTimer.constructor;
    return new TimerClass(callback, calc);
  }

  it("starts with zero tries", () => {
    const timer = makeTimer(() => {}, () => 10);
    expect(timer.tries).toBe(0);
  });

  it("scheduleTimeout() runs the callback after timerCalc(tries + 1) and counts the try", () => {
    vi.useFakeTimers();
    const cb = vi.fn();
    const calc = vi.fn((tries: number) => tries * 100);
    const timer = makeTimer(cb, calc);
    timer.scheduleTimeout();
    expect(calc).toHaveBeenLastCalledWith(1);
    vi.advanceTimersByTime(99);
    expect(cb).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(cb).toHaveBeenCalledTimes(1);
    expect(timer.tries).toBe(1);
    timer.scheduleTimeout();
    expect(calc).toHaveBeenLastCalledWith(2);
    vi.advanceTimersByTime(199);
    expect(cb).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(cb).toHaveBeenCalledTimes(2);
    expect(timer.tries).toBe(2);
  });

  it("counts the try before calling back", () => {
    vi.useFakeTimers();
    let seen = -1;
    const timer: any = makeTimer(() => {
      seen = timer.tries;
    }, () => 5);
    timer.scheduleTimeout();
    vi.advanceTimersByTime(5);
    expect(seen).toBe(1);
  });

  it("scheduleTimeout() twice keeps only the last schedule", () => {
    vi.useFakeTimers();
    const cb = vi.fn();
    const timer = makeTimer(cb, () => 100);
    timer.scheduleTimeout();
    vi.advanceTimersByTime(50);
    timer.scheduleTimeout();
    vi.advanceTimersByTime(50);
    expect(cb).not.toHaveBeenCalled();
    vi.advanceTimersByTime(50);
    expect(cb).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("reset() cancels the pending callback and sets tries back to 0", () => {
    vi.useFakeTimers();
    const cb = vi.fn();
    const calc = vi.fn(() => 10);
    const timer = makeTimer(cb, calc);
    timer.scheduleTimeout();
    vi.advanceTimersByTime(10);
    timer.scheduleTimeout();
    timer.reset();
    vi.advanceTimersByTime(1000);
    expect(cb).toHaveBeenCalledTimes(1);
    expect(timer.tries).toBe(0);
    timer.scheduleTimeout();
    expect(calc).toHaveBeenLastCalledWith(1);
  });

  it("leaves nothing scheduled after reset()", () => {
    vi.useFakeTimers();
    const timer = makeTimer(() => {}, () => 10);
    timer.scheduleTimeout();
    timer.reset();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("socket.reconnectTimer and channel.rejoinTimer use the socket's schedules", () => {
    vi.useFakeTimers();
    const socket = new impl.Socket("/socket", { transport: ManualTransport, reconnectAfterMs: () => 123, rejoinAfterMs: () => 456 });
    expect(socket.reconnectTimer.timerCalc(1)).toBe(123);
    const channel = socket.channel("t");
    expect(channel.rejoinTimer.timerCalc(1)).toBe(456);
  });
});
