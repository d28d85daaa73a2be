/**
 * Differential: Channel behaviour that phoenix.js-based suites and wrappers rely on, run against
 * phoenix.js 1.8.16 (the oracle) and ours with the same expectations.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import { IMPLS, ManualTransport, joinOk, lastTransport, manualSocket, useCompatCleanup } from "./impls";

useCompatCleanup();

/** The frames of `topic` sent on `t`, as [event, payload]. */
function sentTo(t: ManualTransport, topic: string): Array<[string, unknown]> {
  return t.frames().filter((f) => f[2] === topic).map((f) => [f[3], f[4]]);
}

/** Replies to the last push of `event` on `topic`. */
function reply(t: ManualTransport, topic: string, event: string, status: string, response: unknown = {}): void {
  const frame = t.frames().filter((f) => f[2] === topic && f[3] === event).pop();
  if (!frame) throw new Error(`no ${event} sent on ${topic}`);
  t.receive(frame[0], frame[1], topic, "phx_reply", { status, response });
}

describe.each(IMPLS)("Channel construction (%s)", (_name, impl) => {
  it("new Channel(topic, params, socket) sets topic, params function, socket, timeout and closed state", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport, timeout: 1234 });
    const channel = new impl.Channel("topic", { one: "two" }, socket);
    expect(channel.topic).toBe("topic");
    expect(channel.params()).toEqual({ one: "two" });
    expect(channel.socket).toBe(socket);
    expect(channel.timeout).toBe(1234);
    expect(channel.state).toBe("closed");
    expect(channel.joinedOnce).toBe(false);
    expect(channel.pushBuffer).toEqual([]);
  });

  it("keeps a params function as is", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const params = (): object => ({ value: 1 });
    const channel = socket.channel("topic", params);
    expect(channel.params()).toEqual({ value: 1 });
  });

  it("has a join push for phx_join with the channel timeout", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport, timeout: 999 });
    const channel = socket.channel("topic", { a: 1 });
    expect(channel.joinPush.event).toBe("phx_join");
    expect(channel.joinPush.channel).toBe(channel);
    expect(channel.joinPush.timeout).toBe(999);
  });

  it("joinPush.payload() returns the channel params before join() is called", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("topic", { a: 1 });
    expect(channel.joinPush.payload()).toEqual({ a: 1 });
  });

  it("has a rejoin timer following rejoinAfterMs", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("topic");
    expect(channel.rejoinTimer.tries).toBe(0);
    expect(typeof channel.rejoinTimer.reset).toBe("function");
    expect(typeof channel.rejoinTimer.scheduleTimeout).toBe("function");
  });

  it("state predicates follow the state", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("topic");
    const preds = (): boolean[] => [channel.isClosed(), channel.isErrored(), channel.isJoined(), channel.isJoining(), channel.isLeaving()];
    expect(preds()).toEqual([true, false, false, false, false]);
    for (const [state, expected] of [
      ["errored", [false, true, false, false, false]],
      ["joined", [false, false, true, false, false]],
      ["joining", [false, false, false, true, false]],
      ["leaving", [false, false, false, false, true]],
    ] as const) {
      channel.state = state;
      expect(preds()).toEqual(expected);
    }
  });
});

describe.each(IMPLS)("Channel join (%s)", (_name, impl) => {
  it("goes closed → joining → joined and reports the ok response", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    expect(channel.state).toBe("closed");
    const ok = vi.fn();
    const push = channel.join().receive("ok", ok);
    expect(push).toBe(channel.joinPush);
    expect(channel.state).toBe("joining");
    expect(channel.joinedOnce).toBe(true);
    reply(t, "room:1", "phx_join", "ok", { welcome: true });
    expect(channel.state).toBe("joined");
    expect(ok).toHaveBeenCalledWith({ welcome: true });
  });

  it("sends phx_join with the channel params and its join ref as both refs", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1", { token: "t" });
    channel.join();
    const [frame] = t.frames();
    expect(frame).toEqual([channel.joinRef(), channel.joinRef(), "room:1", "phx_join", { token: "t" }]);
    expect(channel.joinRef()).toBe(channel.joinPush.ref);
  });

  it("throws when join() is called a second time", () => {
    const { socket } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join();
    expect(() => channel.join()).toThrow(/tried to join multiple times/);
  });

  it("can be built on a stub socket (timeout, onOpen, onError only), and joinPush.payload() re-reads function params", () => {
    let counter = 0;
    const socket = { timeout: 1234, onError: () => {}, onOpen: () => {} };
    const channel = new impl.Channel("topic", () => ({ value: counter }), socket);
    expect(channel.timeout).toBe(1234);
    expect(channel.joinPush.payload()).toEqual({ value: 0 });
    counter++;
    expect(channel.joinPush.payload()).toEqual({ value: 1 });
  });

  it("says what went wrong in phoenix.js's words (suites match them): a second join, a push before join", () => {
    const { socket } = manualSocket(impl);
    const channel = socket.channel("topic");
    expect(() => channel.push("event", {})).toThrow(
      "tried to push 'event' to 'topic' before joining. Use channel.join() before pushing events",
    );
    channel.join();
    expect(() => channel.join()).toThrow("tried to join multiple times. 'join' can only be called a single time per channel instance");
  });

  it("join(timeout) uses that timeout for the join push and later pushes", () => {
    const { socket } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join(4321);
    expect(channel.timeout).toBe(4321);
    expect(channel.joinPush.timeout).toBe(4321);
  });

  it("reports an error reply to receive('error') and becomes errored", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    const error = vi.fn();
    channel.join().receive("error", error);
    reply(t, "room:1", "phx_join", "error", { reason: "unauthorized" });
    expect(error).toHaveBeenCalledWith({ reason: "unauthorized" });
    expect(channel.state).toBe("errored");
  });

  it("rejoins after a join error following 1000, 2000, 5000, 10000 ms", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join();
    const joins = (): number => sentTo(t, "room:1").filter(([e]) => e === "phx_join").length;
    for (const [i, wait] of [1000, 2000, 5000, 10000, 10000].entries()) {
      reply(t, "room:1", "phx_join", "error", {});
      vi.advanceTimersByTime(wait - 1);
      expect(joins()).toBe(i + 1);
      vi.advanceTimersByTime(1);
      expect(joins()).toBe(i + 2);
      expect(channel.state).toBe("joining");
    }
  });

  it("times out a join with no reply: receive('timeout'), a leave is sent, errored, then rejoins", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 60000 });
    const channel = socket.channel("room:1");
    const timeout = vi.fn();
    channel.join(500).receive("timeout", timeout);
    vi.advanceTimersByTime(499);
    expect(timeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(timeout).toHaveBeenCalledTimes(1);
    expect(channel.state).toBe("errored");
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join", "phx_leave"]);
    vi.advanceTimersByTime(1000);
    expect(channel.state).toBe("joining");
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join", "phx_leave", "phx_join"]);
  });

  it("does not time out a join once it was answered", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 60000 });
    const channel = socket.channel("room:1");
    const timeout = vi.fn();
    channel.join(500).receive("timeout", timeout);
    reply(t, "room:1", "phx_join", "ok");
    vi.advanceTimersByTime(5000);
    expect(timeout).not.toHaveBeenCalled();
    expect(channel.state).toBe("joined");
  });

  it("joins once the socket opens when join() was called before connecting", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const channel = socket.channel("room:1");
    channel.join();
    expect(t.sent).toEqual([]);
    t.open();
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join"]);
  });

  it("re-reads a params function on rejoin", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    let token = "first";
    const channel = socket.channel("room:1", () => ({ token }));
    channel.join();
    reply(t, "room:1", "phx_join", "ok");
    token = "second";
    t.drop();
    vi.advanceTimersByTime(10);
    const t2 = lastTransport();
    t2.open();
    expect(sentTo(t2, "room:1")).toEqual([["phx_join", { token: "second" }]]);
  });

  it("uses a new join ref for each rejoin", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join();
    const first = channel.joinRef();
    reply(t, "room:1", "phx_join", "ok");
    t.drop();
    vi.advanceTimersByTime(10);
    lastTransport().open();
    expect(channel.joinRef()).not.toBe(first);
    expect(lastTransport().frames()[0]![0]).toBe(channel.joinRef());
  });

  it("rejoin() does nothing while leaving", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    channel.state = "leaving";
    const before = t.sent.length;
    channel.rejoin();
    expect(t.sent.length).toBe(before);
    expect(channel.state).toBe("leaving");
  });

  it("canPush() is true only when the socket is connected and the channel joined", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const channel = socket.channel("room:1");
    expect(channel.canPush()).toBe(false);
    channel.join();
    t.open();
    expect(channel.canPush()).toBe(false);
    reply(t, "room:1", "phx_join", "ok");
    expect(channel.canPush()).toBe(true);
    t.readyState = 3;
    expect(channel.canPush()).toBe(false);
  });
});

describe.each(IMPLS)("Channel push (%s)", (_name, impl) => {
  it("throws when pushing before join()", () => {
    const { socket } = manualSocket(impl);
    const channel = socket.channel("room:1");
    expect(() => channel.push("evt", {})).toThrow(/before joining/);
  });

  it("sends at once when joined, with the join ref, a new ref and the payload", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const push = channel.push("new_msg", { body: "hi" });
    const frame = t.frames().pop();
    expect(frame).toEqual([channel.joinRef(), push.ref, "room:1", "new_msg", { body: "hi" }]);
    expect(channel.pushBuffer).toEqual([]);
  });

  it("sends an empty object when no payload is given", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    channel.push("ping");
    expect(t.frames().pop()![4]).toEqual({});
  });

  it("push(event, null) sends an empty object payload", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    channel.push("x", null);
    expect(t.frames().pop()![4]).toEqual({});
  });

  it("buffers pushes while joining and sends them in order after the join ok", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join();
    channel.push("one", { n: 1 });
    channel.push("two", { n: 2 });
    expect(channel.pushBuffer).toHaveLength(2);
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join"]);
    reply(t, "room:1", "phx_join", "ok");
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join", "one", "two"]);
    expect(channel.pushBuffer).toEqual([]);
  });

  it("buffered pushes carry the join ref of the join that flushed them", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join();
    channel.push("one", {});
    reply(t, "room:1", "phx_join", "ok");
    const frame = t.frames().pop()!;
    expect(frame[0]).toBe(channel.joinRef());
  });

  it("times a buffered push out when the join does not complete, and never sends it", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 60000 });
    const channel = socket.channel("room:1");
    channel.join(5000);
    const timeout = vi.fn();
    channel.push("late", {}, 100).receive("timeout", timeout);
    vi.advanceTimersByTime(100);
    expect(timeout).toHaveBeenCalledTimes(1);
    reply(t, "room:1", "phx_join", "ok");
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join"]);
  });

  it("times out a sent push after the channel timeout", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { timeout: 300, heartbeatIntervalMs: 60000 });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const timeout = vi.fn();
    channel.push("evt", {}).receive("timeout", timeout);
    vi.advanceTimersByTime(299);
    expect(timeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(timeout).toHaveBeenCalledTimes(1);
  });

  it("delivers ok and error replies to the matching push only", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const okA = vi.fn();
    const errB = vi.fn();
    const a = channel.push("a", {}).receive("ok", okA).receive("error", errB);
    const b = channel.push("b", {}).receive("ok", okA).receive("error", errB);
    t.receive(channel.joinRef(), b.ref, "room:1", "phx_reply", { status: "error", response: { why: "b" } });
    t.receive(channel.joinRef(), a.ref, "room:1", "phx_reply", { status: "ok", response: { got: "a" } });
    expect(okA.mock.calls).toEqual([[{ got: "a" }]]);
    expect(errB.mock.calls).toEqual([[{ why: "b" }]]);
  });

  it("spying on channel.trigger sees each reply as phx_reply with its ref", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const trigger = vi.spyOn(channel, "trigger");
    const push = channel.push("a", {});
    t.receive(channel.joinRef(), push.ref, "room:1", "phx_reply", { status: "ok", response: { r: 1 } });
    expect(trigger).toHaveBeenCalledWith("phx_reply", { status: "ok", response: { r: 1 } }, push.ref, channel.joinRef());
  });
});

describe.each(IMPLS)("Channel bindings (%s)", (_name, impl) => {
  it("on() returns increasing numeric refs and records {event, ref, callback}", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const cb1 = (): void => {};
    const cb2 = (): void => {};
    const r1 = channel.on("evt", cb1);
    const r2 = channel.on("evt", cb2);
    expect(typeof r1).toBe("number");
    expect(r2).toBe(r1 + 1);
    expect(channel.bindings.filter((b: any) => b.event === "evt")).toEqual([
      { event: "evt", ref: r1, callback: cb1 },
      { event: "evt", ref: r2, callback: cb2 },
    ]);
  });

  it("calls every binding of an event with (payload, ref, joinRef)", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const a = vi.fn();
    const b = vi.fn();
    const other = vi.fn();
    channel.on("evt", a);
    channel.on("evt", b);
    channel.on("other", other);
    t.receive(channel.joinRef(), "12", "room:1", "evt", { x: 1 });
    expect(a).toHaveBeenCalledWith({ x: 1 }, "12", channel.joinRef());
    expect(b).toHaveBeenCalledWith({ x: 1 }, "12", channel.joinRef());
    expect(other).not.toHaveBeenCalled();
  });

  it("off(event, ref) removes only that binding", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const a = vi.fn();
    const b = vi.fn();
    const ra = channel.on("evt", a);
    channel.on("evt", b);
    channel.off("evt", ra);
    channel.trigger("evt", { n: 1 });
    expect(a).not.toHaveBeenCalled();
    expect(b).toHaveBeenCalledTimes(1);
  });

  it("off(event) removes every binding of that event and no other", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const a = vi.fn();
    const other = vi.fn();
    channel.on("evt", a);
    channel.on("evt", a);
    channel.on("other", other);
    channel.off("evt");
    channel.trigger("evt", {});
    channel.trigger("other", {});
    expect(a).not.toHaveBeenCalled();
    expect(other).toHaveBeenCalledTimes(1);
    expect(channel.bindings.filter((b: any) => b.event === "evt")).toEqual([]);
  });

  it("off(event, ref) with a ref of another event removes nothing", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const a = vi.fn();
    channel.on("evt", a);
    const rb = channel.on("other", () => {});
    channel.off("evt", rb);
    channel.trigger("evt", {});
    expect(a).toHaveBeenCalledTimes(1);
  });

  it("trigger(event, payload, ref, joinRef) reaches the bindings with those arguments", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const cb = vi.fn();
    channel.on("evt", cb);
    channel.trigger("evt", { p: 1 }, "5", "9");
    expect(cb).toHaveBeenCalledWith({ p: 1 }, "5", "9");
  });

  it("joinRef() of a channel never joined is undefined, and bindings get undefined as their third argument", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const cb = vi.fn();
    channel.on("evt", cb);
    channel.trigger("evt", { a: 1 });
    expect(channel.joinRef()).toBeUndefined();
    expect(cb).toHaveBeenCalledWith({ a: 1 }, undefined, undefined);
  });

  it("trigger without a joinRef passes the channel's current join ref", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const cb = vi.fn();
    channel.on("evt", cb);
    channel.trigger("evt", { p: 1 }, "5");
    expect(cb).toHaveBeenCalledWith({ p: 1 }, "5", channel.joinRef());
  });

  it("onMessage hook can modify payloads before bindings see them", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const seen: unknown[] = [];
    channel.onMessage = (event: string, payload: any) => (event === "evt" ? { ...payload, extra: true } : payload);
    channel.on("evt", (p: unknown) => seen.push(p));
    t.receive(null, null, "room:1", "evt", { a: 1 });
    expect(seen).toEqual([{ a: 1, extra: true }]);
  });

  it("onMessage hook receives (event, payload, ref, joinRef)", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const hook = vi.fn((_e: string, p: unknown) => p);
    channel.onMessage = hook;
    channel.trigger("evt", { a: 1 }, "3", "4");
    expect(hook).toHaveBeenCalledWith("evt", { a: 1 }, "3", "4");
  });

  it("onMessage hook modifying join replies still lets the join complete", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.onMessage = (_event: string, payload: unknown) => payload;
    const ok = vi.fn();
    channel.join().receive("ok", ok);
    reply(t, "room:1", "phx_join", "ok", { fine: 1 });
    expect(ok).toHaveBeenCalledWith({ fine: 1 });
    expect(channel.state).toBe("joined");
  });

  it("isMember() is false for another topic", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    expect(channel.isMember("room:2", "evt", {}, null)).toBe(false);
    expect(channel.isMember("room:1", "evt", {}, null)).toBe(true);
  });

  it("isMember() is false for a stale join ref and true for the current one", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    expect(channel.isMember("room:1", "evt", {}, "not-the-ref")).toBe(false);
    expect(channel.isMember("room:1", "evt", {}, channel.joinRef())).toBe(true);
  });

  it("isMember() logs the dropped outdated message", () => {
    const logger = vi.fn();
    const { socket, t } = manualSocket(impl, { logger });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    logger.mockClear();
    channel.isMember("room:1", "evt", { a: 1 }, "old");
    expect(logger).toHaveBeenCalledWith("channel", "dropping outdated message", { topic: "room:1", event: "evt", payload: { a: 1 }, joinRef: "old" });
  });
});

describe.each(IMPLS)("Channel errors, close and leave (%s)", (_name, impl) => {
  it("onError callbacks get the reason when the server errors the channel", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const onError = vi.fn();
    channel.onError(onError);
    t.receive(channel.joinRef(), null, "room:1", "phx_error", { reason: "crash" });
    expect(onError).toHaveBeenCalledWith({ reason: "crash" });
    expect(channel.state).toBe("errored");
  });

  it("rejoins 1000 ms after the server errors a joined channel", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 60000 });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:1", "phx_error", {});
    vi.advanceTimersByTime(999);
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join"]);
    vi.advanceTimersByTime(1);
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join", "phx_join"]);
    expect(channel.rejoinTimer.tries).toBe(1);
  });

  it("does not schedule a rejoin while the socket is down; rejoins on reconnect instead", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { reconnectAfterMs: () => 5000 });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    t.drop();
    expect(channel.state).toBe("errored");
    vi.advanceTimersByTime(4999);
    expect(ManualTransport.instances).toHaveLength(1);
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join"]);
    vi.advanceTimersByTime(1);
    lastTransport().open();
    expect(channel.state).toBe("joining");
  });

  it("a server phx_close closes the channel, calls onClose and removes it from the socket", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const onClose = vi.fn();
    channel.onClose(onClose);
    t.receive(channel.joinRef(), null, "room:1", "phx_close", {});
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(channel.state).toBe("closed");
    expect(socket.channels).not.toContain(channel);
  });

  it("leave() sends phx_leave, closes the channel and calls onClose", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const onClose = vi.fn();
    channel.onClose(onClose);
    const ok = vi.fn();
    const push = channel.leave().receive("ok", ok);
    expect(push.event).toBe("phx_leave");
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join", "phx_leave"]);
    expect(channel.state).toBe("closed");
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(ok).toHaveBeenCalledTimes(1);
    expect(socket.channels).not.toContain(channel);
  });

  it("leave() passes 'leave' to onClose callbacks", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const onClose = vi.fn();
    channel.onClose(onClose);
    channel.leave();
    expect(onClose.mock.calls[0]![0]).toBe("leave");
  });

  it("leave() on a channel joined over a down socket closes it without sending", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const channel = socket.channel("room:1");
    channel.join();
    channel.leave();
    expect(channel.state).toBe("closed");
    t.open();
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual([]);
  });

  it("leave() stops a pending rejoin", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join();
    reply(t, "room:1", "phx_join", "error");
    channel.leave();
    vi.advanceTimersByTime(20000);
    expect(sentTo(t, "room:1").map(([e]) => e)).toEqual(["phx_join", "phx_leave"]);
  });

  it("leave() ends with no timeout even when the server never answers", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 60000 });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const timeout = vi.fn();
    channel.leave(100).receive("timeout", timeout);
    vi.advanceTimersByTime(1000);
    expect(timeout).not.toHaveBeenCalled();
  });

  it("a late server reply to the join after leave() does not rejoin the channel", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join();
    const joinFrame = t.frames()[0]!;
    channel.leave();
    t.receive(joinFrame[0], joinFrame[1], "room:1", "phx_reply", { status: "ok", response: {} });
    expect(channel.state).toBe("closed");
  });

  it("a push with timeout 0 times out on the next tick, not synchronously", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const to = vi.fn();
    ch.push("x", {}, 0).receive("timeout", to);
    expect(to).not.toHaveBeenCalled();
    vi.advanceTimersByTime(0);
    expect(to).toHaveBeenCalledTimes(1);
  });
});
