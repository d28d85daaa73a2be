import { describe, expect, it, vi } from "vitest";
import { Socket } from "../../src/socket";
import { Channel } from "../../src/channel";
import { PushError, UsageError } from "../../src/errors";
import type { StateChange, ChannelLifecycleState } from "../../src/types";
import { Fake, conn, openSocket as open, useFakeTransport } from "./support/fake-conn";

const reported = useFakeTransport();

function joined(topic = "room:1", params?: Parameters<Socket["channel"]>[1], opts?: Parameters<Socket["channel"]>[2]) {
  const socket = open();
  const chan = socket.channel(topic, params, opts);
  chan.join();
  conn().ackJoins();
  return { socket, chan };
}

describe("Channel basics", () => {
  it("exposes phoenix.js's fields", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, timeout: 1234 });
    const chan = socket.channel("room:1", { a: 1 });
    expect(chan.topic).toBe("room:1");
    expect(chan.params()).toEqual({ a: 1 });
    expect(chan.socket).toBe(socket);
    expect(chan.state).toBe("closed");
    expect(chan.bindings).toEqual([]);
    expect(chan.timeout).toBe(1234);
    expect(chan.joinedOnce).toBe(false);
    expect(chan.pushBuffer).toEqual([]);
    expect(chan.joinPush.event).toBe("phx_join");
    expect(typeof chan.rejoinTimer.reset).toBe("function");
    expect(typeof chan.rejoinTimer.scheduleTimeout).toBe("function");
    expect(socket.channels).toEqual([chan]);
    expect(chan.isClosed()).toBe(true);
    expect(chan.joinRef()).toBeUndefined(); // phoenix.js: undefined before the first join, null after a reset
    expect(chan.replyEventName("7")).toBe("chan_reply_7");
  });

  it("joins with params, and a second join() throws a clear error", () => {
    const socket = open();
    const chan = socket.channel("room:1", () => ({ token: "t" }));
    const push = chan.join();
    expect(push).toBe(chan.joinPush);
    expect(chan.isJoining()).toBe(true);
    expect(conn().last()).toEqual(["3", "3", "room:1", "phx_join", { token: "t" }]);
    expect(() => chan.join()).toThrow(UsageError);
    expect(() => chan.join()).toThrow(/join multiple times/);
    conn().ackJoins();
    expect(chan.isJoined()).toBe(true);
    socket.disconnect();
  });

  it("throws when pushing before join()", () => {
    const socket = open();
    const chan = socket.channel("room:1");
    expect(() => chan.push("x", {})).toThrow(UsageError);
    socket.disconnect();
  });

  it("buffers pushes until joined, then sends them in order, each keeping its own timeout", () => {
    const socket = open();
    const chan = socket.channel("room:1");
    chan.join();
    const timeouts: string[] = [];
    chan.push("a", { n: 1 }, 100).receive("timeout", () => timeouts.push("a"));
    chan.push("b", { n: 2 }, 300).receive("timeout", () => timeouts.push("b"));
    expect(chan.pushBuffer).toHaveLength(2);
    expect(conn().frames()).toHaveLength(1);
    conn().ackJoins();
    expect(conn().frames().slice(1).map((f) => f[3])).toEqual(["a", "b"]);
    expect(conn().frames()[1]?.[0]).toBe(chan.joinRef());
    vi.advanceTimersByTime(100);
    expect(timeouts).toEqual(["a"]);
    vi.advanceTimersByTime(200);
    expect(timeouts).toEqual(["a", "b"]);
    socket.disconnect();
  });

  it("delivers events to bindings, off() removes by event or ref", () => {
    const { socket, chan } = joined();
    const got: string[] = [];
    const r1 = chan.on("ev", (p) => got.push(`1:${JSON.stringify(p)}`));
    chan.on("ev", () => got.push("2"));
    expect(chan.bindings.map((b) => [b.event, b.ref])).toEqual([
      ["ev", 0],
      ["ev", 1],
    ]);
    conn().reply([null, null, "room:1", "ev", { x: 1 }]);
    chan.off("ev", r1);
    conn().reply([null, null, "room:1", "ev", {}]);
    chan.off("ev");
    conn().reply([null, null, "room:1", "ev", {}]);
    expect(got).toEqual(['1:{"x":1}', "2", "2"]);
    socket.disconnect();
  });

  it("passes ref and join_ref to bindings, and the onMessage hook can rewrite payloads", () => {
    const { socket, chan } = joined();
    const seen: unknown[] = [];
    chan.onMessage = (event, payload) => (event === "ev" ? { wrapped: payload } : payload);
    chan.on("ev", (p, ref, joinRef) => seen.push([p, ref, joinRef]));
    conn().reply([chan.joinRef(), "9", "room:1", "ev", { a: 1 }]);
    expect(seen).toEqual([[{ wrapped: { a: 1 } }, "9", chan.joinRef()]]);
    socket.disconnect();
  });

  it("reports an onMessage hook that forgets to return the payload", () => {
    const { socket, chan } = joined();
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    chan.onMessage = () => undefined;
    const got: unknown[] = [];
    chan.on("ev", (p) => got.push(p));
    conn().reply([null, null, "room:1", "ev", { a: 1 }]);
    expect(errors[0]).toBeInstanceOf(UsageError);
    expect(got).toEqual([{ a: 1 }]);
    socket.disconnect();
  });

  it("drops messages of a stale join_ref", () => {
    const logger = vi.fn();
    const { socket, chan } = joined();
    socket.logger = logger;
    const got: unknown[] = [];
    chan.on("ev", (p) => got.push(p));
    conn().reply(["999", null, "room:1", "ev", { stale: true }]);
    conn().reply([chan.joinRef(), null, "room:1", "ev", { fresh: true }]);
    expect(got).toEqual([{ fresh: true }]);
    expect(logger.mock.calls.some(([, msg]) => msg === "dropping outdated message")).toBe(true);
    socket.disconnect();
  });

  it("a new channel joining a topic already joined makes the old one leave", () => {
    const { socket, chan } = joined();
    const second = socket.channel("room:1");
    second.join();
    expect(chan.state).toBe("closed");
    expect(conn().frames().map((f) => f[3])).toEqual(["phx_join", "phx_leave", "phx_join"]);
    expect(socket.channels).toEqual([second]);
    socket.disconnect();
  });

  it("on phx_error rejoins with rejoinAfterMs, re-reading function params", () => {
    let n = 0;
    const socket = open({ rejoinAfterMs: (tries) => tries * 100 });
    const chan = socket.channel("room:1", () => ({ n: ++n }));
    const errors: unknown[] = [];
    chan.onError((r) => errors.push(r));
    chan.join();
    conn().ackJoins();
    conn().reply([chan.joinRef(), chan.joinRef(), "room:1", "phx_error", {}]);
    expect(chan.state).toBe("errored");
    expect(errors).toEqual([{}]);
    vi.advanceTimersByTime(99);
    expect(conn().frames()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(conn().last()[3]).toBe("phx_join");
    expect(conn().last()[4]).toEqual({ n: 2 });
    conn().reply([conn().last()[0], conn().last()[1], "room:1", "phx_reply", { status: "error", response: { reason: "x" } }]);
    expect(chan.state).toBe("errored");
    vi.advanceTimersByTime(200);
    expect(conn().last()[4]).toEqual({ n: 3 });
    socket.disconnect();
  });

  it("on phx_close closes without rejoining and leaves the socket", () => {
    const { socket, chan } = joined();
    const closed = vi.fn();
    chan.onClose(closed);
    conn().reply([chan.joinRef(), chan.joinRef(), "room:1", "phx_close", {}]);
    expect(chan.state).toBe("closed");
    expect(closed).toHaveBeenCalledTimes(1);
    expect(socket.channels).toEqual([]);
    vi.advanceTimersByTime(60000);
    expect(conn().frames().filter((f) => f[2] === "room:1")).toHaveLength(1);
    socket.disconnect();
  });

  it("a join that times out sends a leave and rejoins", () => {
    const socket = open({ timeout: 100 });
    const chan = socket.channel("room:1");
    const timeouts = vi.fn();
    chan.join().receive("timeout", timeouts);
    vi.advanceTimersByTime(100);
    expect(timeouts).toHaveBeenCalledTimes(1);
    expect(chan.state).toBe("errored");
    expect(conn().last()[3]).toBe("phx_leave");
    vi.advanceTimersByTime(1000);
    expect(conn().last()[3]).toBe("phx_join");
    socket.disconnect();
  });

  it("leave() closes at once and tells the server", async () => {
    const { socket, chan } = joined();
    const leave = chan.leave();
    expect(chan.state).toBe("closed");
    expect(conn().last()[3]).toBe("phx_leave");
    await expect(leave).resolves.toEqual({});
    socket.disconnect();
  });

  it("can join() again after leave()", async () => {
    const { socket, chan } = joined();
    chan.leave();
    const again = chan.join();
    expect(socket.channels).toEqual([chan]);
    conn().ackJoins();
    await expect(again).resolves.toEqual({});
    expect(chan.state).toBe("joined");
    socket.disconnect();
  });

  it("user off() cannot remove the channel's own handling of replies, errors and closes", async () => {
    const socket = open();
    const chan = socket.channel("room:1");
    chan.off("phx_reply");
    chan.off("phx_close");
    chan.off("phx_error");
    const join = chan.join();
    conn().ackJoins();
    await expect(join).resolves.toEqual({});
    conn().reply([chan.joinRef(), chan.joinRef(), "room:1", "phx_error", {}]);
    expect(chan.state).toBe("errored");
    socket.disconnect();
  });

  it("chan_reply_<ref> bindings still see replies, as in phoenix.js", () => {
    const { socket, chan } = joined();
    const push = chan.push("x", {});
    const seen = vi.fn();
    chan.on(`chan_reply_${String(push.ref)}` as "phx_reply", seen);
    conn().reply([chan.joinRef(), push.ref, "room:1", "phx_reply", { status: "ok", response: { y: 1 } }]);
    expect(seen).toHaveBeenCalledWith({ status: "ok", response: { y: 1 } }, undefined, chan.joinRef());
    socket.disconnect();
  });

  it("rejoins at once when the socket reconnects", () => {
    const { socket, chan } = joined();
    conn().serverClose();
    expect(chan.state).toBe("errored");
    vi.advanceTimersByTime(10);
    conn().open();
    expect(conn().last()[3]).toBe("phx_join");
    socket.disconnect();
  });

  it("trigger(event, payload, ref, joinRef) delivers like an inbound message", () => {
    const { socket, chan } = joined();
    const seen = vi.fn();
    chan.on("custom", seen);
    chan.trigger("custom", { a: 1 }, "5", "7");
    expect(seen).toHaveBeenCalledWith({ a: 1 }, "5", "7");
    expect(chan.isMember("room:1", "custom", {}, null)).toBe(true);
    expect(chan.isMember("room:2", "custom", {}, null)).toBe(false);
    socket.disconnect();
  });

  it("canPush() only when connected and joined", () => {
    const { socket, chan } = joined();
    expect(chan.canPush()).toBe(true);
    conn().serverClose();
    expect(chan.canPush()).toBe(false);
    socket.disconnect();
  });
});

describe("Channel additions", () => {
  it("dispose() frees bindings, timers, buffered pushes and the registry entry", async () => {
    const socket = open();
    const chan = socket.channel("room:1");
    chan.on("ev", () => {});
    chan.join();
    const buffered = chan.push("x", {});
    chan.dispose();
    await expect(buffered).rejects.toMatchObject({ status: "dropped" });
    expect(chan.bindings).toEqual([]);
    expect(socket.channels).toEqual([]);
    expect(chan.state).toBe("closed");
    socket.disconnect();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("Symbol.dispose disposes", () => {
    const socket = open();
    const chan = socket.channel("room:1");
    chan[Symbol.dispose]();
    expect(socket.channels).toEqual([]);
    socket.disconnect();
  });

  it("React StrictMode's mount-unmount-mount leaves exactly one joined channel", () => {
    const socket = open();
    const effect = (): (() => void) => {
      const chan = socket.channel("room:1");
      chan.join();
      return () => chan.dispose();
    };
    const cleanup = effect();
    cleanup();
    effect();
    conn().ackJoins();
    const joinedChannels = socket.channels.filter((c) => c.isJoined());
    expect(joinedChannels).toHaveLength(1);
    expect(socket.channels).toHaveLength(1);
    socket.disconnect();
  });

  it("onStateChange reports transitions with reason, attempt and next retry", () => {
    const socket = open({ rejoinAfterMs: () => 500 });
    const chan = socket.channel("room:1");
    const changes: StateChange<ChannelLifecycleState>[] = [];
    const off = chan.onStateChange((c) => changes.push(c));
    chan.join();
    conn().ackJoins();
    conn().reply([chan.joinRef(), chan.joinRef(), "room:1", "phx_error", { reason: "crash" }]);
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual(["closed>joining", "joining>joined", "joined>errored"]);
    expect(changes[2]).toMatchObject({ reason: "error", nextRetryInMs: 500, error: { reason: "crash" } });
    off();
    chan.leave();
    expect(changes).toHaveLength(3);
    socket.disconnect();
  });

  it("a throwing state listener does not stop the others", () => {
    const socket = open();
    const chan = socket.channel("room:1");
    const second = vi.fn();
    chan.onStateChange(() => {
      throw new Error("x");
    });
    chan.onStateChange(second);
    chan.join();
    expect(second).toHaveBeenCalled();
    expect(reported).toHaveLength(1);
    socket.disconnect();
  });

  it("stop rejoining on a final join error, in a visible failed state", async () => {
    const socket = open();
    const chan = socket.channel("room:1", {}, { rejoin: { stopOn: (r) => (r as { reason?: string }).reason === "unauthorized" } });
    const changes: string[] = [];
    chan.onStateChange((c) => changes.push(c.to));
    const join = chan.join();
    const [jr, ref] = conn().last();
    conn().reply([jr, ref, "room:1", "phx_reply", { status: "error", response: { reason: "unauthorized" } }]);
    await expect(join).rejects.toMatchObject({ status: "error", response: { reason: "unauthorized" } });
    expect(chan.failed).toBe(true);
    expect(changes).toContain("failed");
    vi.advanceTimersByTime(60000);
    expect(conn().frames().filter((f) => f[2] === "room:1")).toHaveLength(1);
    // Nor on reconnect.
    conn().serverClose();
    vi.advanceTimersByTime(10);
    conn().open();
    expect(conn().frames()).toHaveLength(0);
    socket.disconnect();
  });

  it("gives up after maxAttempts failed joins", () => {
    const socket = open({ rejoinAfterMs: () => 10 });
    const chan = socket.channel("room:1", {}, { rejoin: { maxAttempts: 2 } });
    chan.join();
    const refuse = () => {
      const [jr, ref] = conn().last();
      conn().reply([jr, ref, "room:1", "phx_reply", { status: "error", response: {} }]);
    };
    refuse();
    expect(chan.failed).toBe(false);
    vi.advanceTimersByTime(10);
    refuse();
    expect(chan.failed).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(conn().frames().filter((f) => f[3] === "phx_join")).toHaveLength(2);
    socket.disconnect();
  });

  it("awaits async channel params before every rejoin", async () => {
    let token = 0;
    const socket = open({ rejoinAfterMs: () => 10 });
    const chan = socket.channel("room:1", async () => ({ token: ++token }));
    chan.join();
    expect(conn().frames()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(conn().last()[4]).toEqual({ token: 1 });
    conn().ackJoins();
    conn().reply([chan.joinRef(), chan.joinRef(), "room:1", "phx_error", {}]);
    await vi.advanceTimersByTimeAsync(10);
    expect(conn().last()[4]).toEqual({ token: 2 });
    socket.disconnect();
  });

  it("a failing params function errors the channel and retries", async () => {
    let fail = true;
    const socket = open({ rejoinAfterMs: () => 10 });
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    const chan = socket.channel("room:1", () => {
      if (fail) throw new Error("no token");
      return { ok: true };
    });
    chan.join();
    expect(chan.state).toBe("errored");
    expect(errors).toHaveLength(1);
    fail = false;
    vi.advanceTimersByTime(10);
    expect(conn().last()[4]).toEqual({ ok: true });
    socket.disconnect();
  });

  it("bounds the push buffer: drop-oldest drops the oldest, visibly", async () => {
    const socket = open();
    const chan = socket.channel("room:1", {}, { maxBuffered: 2 });
    chan.join();
    const a = chan.push("a", {});
    chan.push("b", {});
    chan.push("c", {});
    await expect(a).rejects.toBeInstanceOf(PushError);
    await expect(a).rejects.toMatchObject({ status: "dropped" });
    expect(chan.pushBuffer.map((p) => p.event)).toEqual(["b", "c"]);
    socket.disconnect();
  });

  it("bounds the push buffer: drop-newest and reject", () => {
    const socket = open();
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    const newest = socket.channel("a", {}, { maxBuffered: 2, onOverflow: "drop-newest" });
    newest.join();
    const dropped = vi.fn();
    newest.push("a", {});
    newest.push("b", {}).receive("dropped", dropped);
    newest.push("c", {});
    expect(newest.pushBuffer.map((p) => p.event)).toEqual(["a", "c"]);
    expect(dropped).toHaveBeenCalledWith({ reason: "push buffer full" });
    const reject = socket.channel("b", {}, { maxBuffered: 1, onOverflow: "reject" });
    reject.join();
    reject.push("a", {});
    const refused = reject.push("b", {});
    expect(refused.hasReceived("dropped")).toBe(true);
    expect(reject.pushBuffer.map((p) => p.event)).toEqual(["a"]);
    expect(errors).toHaveLength(1);
    socket.disconnect();
  });

  it("stream() iterates an event until aborted", async () => {
    vi.useRealTimers();
    const { socket, chan } = joined();
    const ac = new AbortController();
    const got: unknown[] = [];
    const done = (async () => {
      for await (const p of chan.stream("ev", { signal: ac.signal })) got.push(p);
    })();
    conn().reply([null, null, "room:1", "ev", { n: 1 }]);
    conn().reply([null, null, "room:1", "ev", { n: 2 }]);
    await Promise.resolve();
    ac.abort();
    await done;
    expect(got).toEqual([{ n: 1 }, { n: 2 }]);
    expect(chan.bindings).toEqual([]);
    socket.disconnect();
  });

  it("stream() ends when the channel closes, and on break", async () => {
    vi.useRealTimers();
    const { socket, chan } = joined();
    const it1 = chan.stream("ev");
    const next = it1.next();
    conn().reply([null, null, "room:1", "ev", 1]);
    expect(await next).toEqual({ value: 1, done: false });
    const pending = it1.next();
    chan.leave();
    expect(await pending).toEqual({ value: undefined, done: true });
    const it2 = chan.stream("ev");
    await it2.return?.();
    expect(await it2.next()).toEqual({ value: undefined, done: true });
    const aborted = chan.stream("ev", { signal: AbortSignal.abort() });
    expect(await aborted.next()).toEqual({ value: undefined, done: true });
    socket.disconnect();
  });
});

describe("Channel timers on disconnect", () => {
  it("a rejoin pending when the app disconnects does not stay scheduled", () => {
    const { socket, chan } = joined();
    conn().reply([chan.joinRef(), chan.joinRef(), "room:1", "phx_error", {}]);
    expect(chan.rejoinTimer.isScheduled()).toBe(true);
    socket.disconnect();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("Channel edge cases", () => {
  it("dispose() ends streams even on a channel that never joined", async () => {
    vi.useRealTimers();
    const socket = open();
    const chan = socket.channel("room:9");
    const it1 = chan.stream("ev");
    const pending = it1.next();
    chan.dispose();
    expect(await pending).toEqual({ value: undefined, done: true });
    socket.disconnect();
  });

  it("a throwing onMessage hook is rethrown asynchronously and the payload still delivered", () => {
    const { socket, chan } = joined();
    const boom = new Error("hook");
    chan.onMessage = () => {
      throw boom;
    };
    const got: unknown[] = [];
    chan.on("ev", (p) => got.push(p));
    conn().reply([null, null, "room:1", "ev", { a: 1 }]);
    expect(got).toEqual([{ a: 1 }]);
    expect(reported).toEqual([boom]);
    socket.disconnect();
  });
});
