import { describe, expect, it, vi } from "vitest";
import { Socket } from "../../src/socket";
import { DecodeError, PushError, UsageError } from "../../src/errors";
import type { TransportConstructor } from "../../src/types";
import { Fake, FakeConn, conn, openSocket as open, useFakeTransport } from "./support/fake-conn";

const reported = useFakeTransport();

describe("Socket options and defaults", () => {
  it("has phoenix.js defaults", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    expect(socket.timeout).toBe(10000);
    expect(socket.heartbeatIntervalMs).toBe(30000);
    expect(socket.longpollerTimeout).toBe(20000);
    expect(socket.binaryType).toBe("arraybuffer");
    expect(socket.vsn).toBe("2.0.0");
    expect(socket.endPoint).toBe("ws://h/socket/websocket");
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map(socket.reconnectAfterMs)).toEqual([10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000]);
    expect([1, 2, 3, 4, 5].map(socket.rejoinAfterMs)).toEqual([1000, 2000, 5000, 10000, 10000]);
    expect(socket.params()).toEqual({});
    expect(socket.stateChangeCallbacks).toEqual({ open: [], close: [], error: [], message: [] });
    expect(socket.channels).toEqual([]);
    expect(socket.sendBuffer).toEqual([]);
    expect(socket.ref).toBe(0);
    expect(socket.logger).toBeNull();
    expect(socket.closeWasClean).toBe(true);
    expect(socket.connectionState()).toBe("closed");
    expect(socket.isConnected()).toBe(false);
  });

  it("takes every option", () => {
    const logger = vi.fn();
    const socket = new Socket("ws://h/socket", {
      transport: Fake,
      timeout: 5,
      heartbeatIntervalMs: 6,
      longpollerTimeout: 7,
      binaryType: "blob",
      vsn: "1.0.0",
      logger,
      reconnectAfterMs: () => 1,
      rejoinAfterMs: () => 2,
      params: { a: 1 },
    });
    expect([socket.timeout, socket.heartbeatIntervalMs, socket.longpollerTimeout, socket.binaryType, socket.vsn]).toEqual([5, 6, 7, "blob", "1.0.0"]);
    expect(socket.reconnectAfterMs(1)).toBe(1);
    expect(socket.rejoinAfterMs(1)).toBe(2);
    expect(socket.params()).toEqual({ a: 1 });
    socket.log("k", "m", 1);
    expect(logger).toHaveBeenCalledWith("k", "m", 1);
    expect(socket.hasLogger()).toBe(true);
  });

  it("logs to the console with debug", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    const socket = new Socket("ws://h/socket", { transport: Fake, debug: true });
    socket.log("kind", "hello", 1);
    expect(spy).toHaveBeenCalledWith("kind: hello", 1);
    spy.mockRestore();
  });

  it("rejects an empty endpoint with a usage error", () => {
    expect(() => new Socket("", { transport: Fake })).toThrow(UsageError);
  });

  it("builds the endpoint URL with nested params and vsn", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, params: { token: "a b", user: { id: 1 } } });
    expect(socket.endPointURL()).toBe("ws://h/socket/websocket?token=a%20b&user%5Bid%5D=1&vsn=2.0.0");
    const viaFn = new Socket("//h/socket", { transport: Fake, params: () => ({ x: 1 }) });
    expect(viaFn.endPointURL()).toBe("ws://h/socket/websocket?x=1&vsn=2.0.0");
  });

  it("leaves null params out of the URL, as phoenix.js does", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, params: { token: null, user: { id: null, n: 2 } } });
    expect(socket.endPointURL()).toBe("ws://h/socket/websocket?user%5Bn%5D=2&vsn=2.0.0");
  });

  it("names the transport in the connected log line and returns the connect clock from replaceTransport", () => {
    const lines: string[] = [];
    const socket = open({ logger: (kind, msg) => lines.push(`${kind}: ${msg}`) });
    expect(lines).toContain(`transport: ${Fake.name} connected to ws://example.test/socket/websocket?vsn=2.0.0`);
    expect(socket.transportName(socket.getLongPollTransport())).toBe("LongPoll");
    const clock = socket.connectClock;
    expect(socket.replaceTransport(Fake)).toBe(clock + 1);
    expect(socket.connectClock).toBe(clock + 1);
    socket.disconnect();
  });

  it("resolves a relative endpoint against the page location, and refuses it where there is none", () => {
    const socket = new Socket("/socket", { transport: Fake });
    expect(() => socket.connect()).toThrow(UsageError);
    vi.stubGlobal("location", { protocol: "https:", host: "example.com" });
    expect(socket.protocol()).toBe("wss");
    expect(socket.endPointURL()).toBe("wss://example.com/socket/websocket?vsn=2.0.0");
  });

  it("makes unique refs as strings", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    expect([socket.makeRef(), socket.makeRef()]).toEqual(["1", "2"]);
  });
});

describe("Connecting", () => {
  it("opens the transport with the URL, binary type and long-poll timeout, once", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, params: { t: "1" } });
    socket.connect();
    socket.connect();
    expect(FakeConn.all).toHaveLength(1);
    expect(conn().url).toBe("ws://h/socket/websocket?t=1&vsn=2.0.0");
    expect(conn().binaryType).toBe("arraybuffer");
    expect(conn().timeout).toBe(20000);
    expect(conn().protocols).toBeUndefined();
    expect(socket.connectionState()).toBe("connecting");
    conn().open();
    expect(socket.isConnected()).toBe(true);
    expect(socket.connectionState()).toBe("open");
    socket.disconnect();
  });

  it("sends the auth token as phoenix sub-protocols in unpadded standard base64", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, authToken: "my-token?" });
    socket.connect();
    // btoa("my-token?") === "bXktdG9rZW4/" — standard alphabet, as Phoenix 1.8 decodes it.
    expect(conn().protocols).toEqual(["phoenix", "base64url.bearer.phx.bXktdG9rZW4/"]);
    socket.disconnect();
    const s2 = new Socket("ws://h/socket", { transport: Fake, authToken: () => "ab" });
    s2.connect();
    expect(conn().protocols).toEqual(["phoenix", "base64url.bearer.phx.YWI"]);
    s2.disconnect();
  });

  it("calls open, close, error and message callbacks and removes them with off()", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    const calls: string[] = [];
    const refs = [
      socket.onOpen(() => calls.push("open")),
      socket.onClose((e) => calls.push(`close ${String(e.code)}`)),
      socket.onError(() => calls.push("error")),
      socket.onMessage((m) => calls.push(`msg ${m.event}`)),
    ];
    socket.connect();
    conn().open();
    conn().reply([null, null, "t", "ev", {}]);
    conn().error();
    conn().serverClose(1006);
    expect(calls).toEqual(["open", "msg ev", "error", "close 1006"]);
    socket.off(refs);
    expect(socket.stateChangeCallbacks).toEqual({ open: [], close: [], error: [], message: [] });
    socket.disconnect();
  });

  it("reconnects after an unexpected close following the reconnect steps, and not after disconnect()", () => {
    const socket = open();
    conn().serverClose(1000);
    expect(FakeConn.all).toHaveLength(1);
    vi.advanceTimersByTime(10);
    expect(FakeConn.all).toHaveLength(2);
    conn().serverClose();
    vi.advanceTimersByTime(49);
    expect(FakeConn.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeConn.all).toHaveLength(3);
    conn().open();
    socket.disconnect();
    vi.advanceTimersByTime(60000);
    expect(FakeConn.all).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("connects again right after disconnect()", () => {
    const socket = open();
    const closed = vi.fn();
    socket.disconnect(closed, 4000, "bye");
    expect(closed).toHaveBeenCalledTimes(1);
    expect(FakeConn.all[0]?.closedWith).toEqual({ code: 4000, reason: "bye" });
    socket.connect();
    expect(FakeConn.all).toHaveLength(2);
    socket.disconnect();
  });

  it("errors channels when the transport errors and rejoins them when it opens again", () => {
    const socket = open();
    const chan = socket.channel("room:1");
    chan.join();
    conn().ackJoins();
    expect(chan.state).toBe("joined");
    conn().error();
    expect(chan.state).toBe("errored");
    conn().serverClose();
    vi.advanceTimersByTime(10);
    conn().open();
    expect(chan.state).toBe("joining");
    expect(conn().last()[3]).toBe("phx_join");
    conn().ackJoins();
    expect(chan.state).toBe("joined");
    socket.disconnect();
  });

  it("replaceTransport closes the connection and uses the new transport next time", () => {
    const socket = open();
    const chan = socket.channel("a");
    chan.join();
    conn().ackJoins();
    class Other extends FakeConn {}
    socket.replaceTransport(Other as unknown as TransportConstructor);
    expect(chan.state).toBe("errored");
    expect(socket.transport).toBe(Other);
    socket.connect();
    expect(conn()).toBeInstanceOf(Other);
    socket.disconnect();
  });

  it("retries when the transport constructor throws, reporting a connection error", () => {
    let fail = true;
    class Flaky extends FakeConn {
      constructor(url: string, p?: string | string[]) {
        if (fail) throw new Error("bad url");
        super(url, p);
      }
    }
    const errors: unknown[] = [];
    const socket = new Socket("ws://h/socket", { transport: Flaky as unknown as TransportConstructor });
    socket.onError((e) => errors.push(e));
    socket.connect();
    expect(errors).toHaveLength(1);
    expect(socket.state).toBe("reconnecting");
    fail = false;
    vi.advanceTimersByTime(10);
    expect(FakeConn.all).toHaveLength(1);
    socket.disconnect();
  });
});

describe("Heartbeat", () => {
  it("sends the next heartbeat an interval after the reply, not on a chained interval", () => {
    const socket = open({ heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(100);
    const hb = conn().last();
    expect(hb).toEqual([null, "1", "phoenix", "heartbeat", {}]);
    vi.advanceTimersByTime(60);
    conn().reply([null, hb[1], "phoenix", "phx_reply", { status: "ok", response: {} }]);
    vi.advanceTimersByTime(99);
    expect(conn().frames()).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(conn().frames()).toHaveLength(2);
    socket.disconnect();
  });

  it("on a missed reply closes with 1000 heartbeat timeout, errors channels and redials at once", () => {
    const socket = open({ heartbeatIntervalMs: 100 });
    const chan = socket.channel("room:1");
    chan.join();
    conn().ackJoins();
    const closes: unknown[] = [];
    socket.onClose((e) => closes.push(e));
    const dead = conn();
    vi.advanceTimersByTime(200);
    expect(dead.closedWith).toEqual({ code: 1000, reason: "heartbeat timeout" });
    expect(closes).toEqual([{ type: "close", code: 1000, reason: "heartbeat timeout", wasClean: false }]);
    expect(chan.state).toBe("errored");
    expect(socket.conn).toBeNull();
    // No waiting for the dead socket's close event: the redial follows the first reconnect step.
    vi.advanceTimersByTime(10);
    expect(FakeConn.all).toHaveLength(2);
    conn().open();
    conn().ackJoins();
    expect(chan.state).toBe("joined");
    // A late close event from the dead socket changes nothing.
    dead.onclose?.({ code: 1006 });
    expect(socket.isConnected()).toBe(true);
    socket.disconnect();
  });

  it("ping measures the round trip in ms", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    expect(socket.ping(() => {})).toBe(false);
    socket.connect();
    conn().open();
    const rtt = vi.fn();
    expect(socket.ping(rtt)).toBe(true);
    const ref = conn().last()[1];
    vi.advanceTimersByTime(42);
    conn().reply([null, ref, "phoenix", "phx_reply", { status: "ok", response: {} }]);
    expect(rtt).toHaveBeenCalledWith(42);
    socket.disconnect();
  });

  it("skips heartbeats for transports that do not need them", () => {
    class NoBeat extends FakeConn {
      skipHeartbeat = true;
    }
    const socket = new Socket("ws://h/socket", { transport: NoBeat as unknown as TransportConstructor, heartbeatIntervalMs: 10 });
    socket.connect();
    conn().open();
    vi.advanceTimersByTime(100);
    expect(conn().sent).toHaveLength(0);
    socket.disconnect();
  });
});

describe("Send buffer", () => {
  it("buffers pushes while disconnected and flushes them in order on open", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    socket.connect();
    socket.push({ topic: "t", event: "a", payload: {}, ref: null, join_ref: null });
    socket.push({ topic: "t", event: "b", payload: {}, ref: null, join_ref: null });
    expect(socket.sendBuffer).toHaveLength(2);
    conn().open();
    expect(conn().frames().map((f) => f[3])).toEqual(["a", "b"]);
    expect(socket.sendBuffer).toHaveLength(0);
    socket.disconnect();
  });

  it("drops the oldest buffered push when full, and the dropped push says so", async () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, maxBuffered: 1 });
    const a = socket.channel("a");
    const b = socket.channel("b");
    const joinA = a.join();
    const joinB = b.join();
    expect(socket.sendBuffer).toHaveLength(1);
    await expect(joinA).rejects.toMatchObject({ status: "dropped" });
    expect(a.state).toBe("errored");
    socket.connect();
    conn().open();
    // The dropped channel rejoins on open; the other's buffered join went out first.
    expect(conn().frames().map((f) => f[2])).toEqual(["b", "a"]);
    conn().ackJoins();
    await expect(joinB).resolves.toEqual({});
    expect(a.state).toBe("joined");
    socket.disconnect();
  });

  it("after maxBuffered is lowered to 0, refuses new messages and still flushes the ones already buffered", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, maxBuffered: 5 });
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    socket.push({ topic: "t", event: "a", payload: {}, ref: null, join_ref: null });
    socket.push({ topic: "t", event: "b", payload: {}, ref: null, join_ref: null });
    socket.maxBuffered = 0;
    socket.push({ topic: "t", event: "c", payload: {}, ref: null, join_ref: null });
    expect(socket.sendBuffer).toHaveLength(2);
    expect(errors).toHaveLength(1);
    socket.connect();
    conn().open();
    expect(conn().frames().map((f) => f[3])).toEqual(["a", "b"]);
    socket.disconnect();
  });

  it("with reject, refuses the new message and keeps the buffered one", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, maxBuffered: 1, onOverflow: "reject" });
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    socket.push({ topic: "t", event: "a", payload: {}, ref: null, join_ref: null });
    socket.push({ topic: "t", event: "b", payload: {}, ref: null, join_ref: null });
    expect(socket.sendBuffer).toHaveLength(1);
    expect(errors).toHaveLength(1);
    socket.connect();
    conn().open();
    expect(conn().frames().map((f) => f[3])).toEqual(["a"]);
    socket.disconnect();
  });

  it("with drop-newest, replaces the newest buffered message", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, maxBuffered: 2, onOverflow: "drop-newest", logger: () => {} });
    for (const event of ["a", "b", "c"]) socket.push({ topic: "t", event, payload: {}, ref: null, join_ref: null });
    socket.connect();
    conn().open();
    expect(conn().frames().map((f) => f[3])).toEqual(["a", "c"]);
    socket.disconnect();
  });

  it("does not send a buffered join that a newer join superseded", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    socket.connect();
    const chan = socket.channel("room");
    chan.join();
    conn().error();
    conn().serverClose();
    vi.advanceTimersByTime(10);
    conn().open();
    const joins = conn().frames().filter((f) => f[3] === "phx_join");
    expect(joins).toHaveLength(1);
    socket.disconnect();
  });
});

describe("Inbound frames", () => {
  it("reports bad frames as typed errors to onError and the logger, and keeps delivering", () => {
    const logger = vi.fn();
    const socket = open({ logger });
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    const chan = socket.channel("room");
    chan.join();
    conn().ackJoins();
    const got: unknown[] = [];
    chan.on("msg", (p) => got.push(p));
    conn().raw("not json");
    conn().raw("[1,2]");
    conn().raw(JSON.stringify([null, null, 5, "e", {}]));
    conn().raw(new Uint8Array([1, 9]).buffer);
    conn().raw(42);
    conn().reply([null, null, "room", "msg", { n: 1 }]);
    expect(errors.map((e) => (e as DecodeError).reason)).toEqual(["not_json", "wrong_length", "wrong_type", "truncated_binary", "unsupported_frame"]);
    expect(errors.every((e) => e instanceof DecodeError)).toBe(true);
    expect(logger.mock.calls.filter(([kind]) => kind === "error")).toHaveLength(5);
    expect(got).toEqual([{ n: 1 }]);
    socket.disconnect();
  });

  it("surfaces a decode error on the console when nobody listens, without throwing", () => {
    const spy = vi.spyOn(console, "error").mockImplementation(() => {});
    const socket = open();
    expect(() => conn().raw("{")).not.toThrow();
    expect(spy.mock.calls[0]?.[1]).toBeInstanceOf(DecodeError);
    expect(reported).toEqual([]);
    spy.mockRestore();
    socket.disconnect();
  });

  it("wraps a throwing custom decoder", () => {
    const errors: unknown[] = [];
    const socket = open({
      decode: () => {
        throw new Error("nope");
      },
    });
    socket.onError((e) => errors.push(e));
    conn().raw("x");
    expect(errors[0]).toBeInstanceOf(DecodeError);
    socket.disconnect();
  });

  it("uses custom encode/decode", () => {
    const socket = open({
      encode: (msg, cb) => cb(`E:${msg.event}`),
      decode: (raw, cb) => cb({ join_ref: null, ref: null, topic: "t", event: String(raw), payload: {} }),
    });
    const msgs: string[] = [];
    socket.onMessage((m) => msgs.push(m.event));
    socket.push({ topic: "t", event: "x", payload: {}, ref: null, join_ref: null });
    conn().raw("hello");
    expect(conn().sent).toEqual(["E:x"]);
    expect(msgs).toEqual(["hello"]);
    socket.disconnect();
  });

  it("speaks V1 objects when vsn is 1.0.0", () => {
    const socket = open({ vsn: "1.0.0" });
    const chan = socket.channel("room");
    chan.join();
    const sent = JSON.parse(conn().sent[0] as string) as Record<string, unknown>;
    expect(sent).toMatchObject({ topic: "room", event: "phx_join", ref: "3", join_ref: "3" });
    conn().raw(JSON.stringify({ topic: "room", event: "phx_reply", ref: "3", join_ref: "3", payload: { status: "ok", response: {} } }));
    expect(chan.state).toBe("joined");
    socket.disconnect();
  });

  it("keeps calling the other callbacks when one throws, and rethrows its error asynchronously", () => {
    const socket = open();
    const boom = new Error("boom");
    const after = vi.fn();
    socket.onMessage(() => {
      throw boom;
    });
    socket.onMessage(after);
    conn().reply([null, null, "t", "e", {}]);
    expect(after).toHaveBeenCalled();
    expect(reported).toEqual([boom]);
    socket.disconnect();
  });

  it("reports an encode error for a binary field over 255 bytes and fails that push", async () => {
    const socket = open();
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    const chan = socket.channel("room");
    chan.join();
    conn().ackJoins();
    const push = chan.push("x".repeat(300), new Uint8Array([1]).buffer);
    await expect(push).rejects.toBeInstanceOf(PushError);
    expect(errors).toHaveLength(1);
    socket.disconnect();
  });
});

describe("Teardown", () => {
  it("after disconnect() nothing stays scheduled", () => {
    const socket = open({ heartbeatIntervalMs: 100 });
    const chan = socket.channel("room");
    chan.join();
    conn().ackJoins();
    vi.advanceTimersByTime(100);
    socket.disconnect();
    expect(vi.getTimerCount()).toBe(0);
    expect(socket.conn).toBeNull();
    expect(socket.state).toBe("closed");
  });

  it("a channel that left leaves no reply registrations, bindings in the socket, or timers", () => {
    const socket = open();
    const chan = socket.channel("room");
    chan.join();
    conn().ackJoins();
    chan.leave();
    expect(chan.state).toBe("closed");
    expect(socket.channels).toEqual([]);
    conn().reply([chan.joinRef(), conn().last()[1], "room", "phx_reply", { status: "ok", response: {} }]);
    expect(socket._replies.size).toBe(0);
    socket.disconnect();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("Misuse", () => {
  it("gets clear usage errors for callbacks that are not functions and bad event names", () => {
    const socket = open();
    const chan = socket.channel("room");
    const notFn = 5 as unknown as () => void;
    expect(() => socket.onOpen(notFn)).toThrow(UsageError);
    expect(() => socket.onClose(notFn)).toThrow(/close callback must be a function/);
    expect(() => socket.onError(notFn)).toThrow(UsageError);
    expect(() => socket.onMessage(null as unknown as () => void)).toThrow(/got null/);
    expect(() => socket.onStateChange(notFn)).toThrow(UsageError);
    expect(() => socket.ping(notFn)).toThrow(UsageError);
    expect(() => chan.on("x", notFn)).toThrow(UsageError);
    expect(() => chan.on(7 as unknown as string, () => {})).toThrow(UsageError);
    expect(() => chan.onStateChange(notFn)).toThrow(UsageError);
    chan.join();
    expect(() => chan.push(7 as unknown as string, {})).toThrow(UsageError);
    expect(() => chan.push("x", {}).receive("ok", notFn)).toThrow(UsageError);
    expect(() => socket.channel(7 as unknown as string)).toThrow(UsageError);
    socket.disconnect();
  });
});

describe("Message callbacks", () => {
  it("see the decoded message on the fast path too, and a missing event object is reported, not thrown", () => {
    const socket = open();
    const seen: unknown[] = [];
    socket.onMessage((m) => seen.push(m));
    conn().reply(["1", "2", "t", "e", { a: 1 }]);
    expect(seen).toEqual([{ join_ref: "1", ref: "2", topic: "t", event: "e", payload: { a: 1 } }]);
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    expect(() => socket.onConnMessage(undefined as unknown as { data: string })).not.toThrow();
    expect(errors[0]).toBeInstanceOf(DecodeError);
    socket.disconnect();
  });
});

describe("Internals edited or spied on the way phoenix.js suites do", () => {
  const event = (topic: string, n: number): unknown[] => [null, null, topic, "ev", { n }];

  it("delivers by `channels` even when it is replaced or resized by hand", () => {
    const socket = open();
    const a = socket.channel("a");
    const b = socket.channel("b");
    const got: string[] = [];
    a.on("ev", () => got.push("a"));
    b.on("ev", () => got.push("b"));
    socket.channels = [b];
    conn().reply(event("a", 1));
    conn().reply(event("b", 1));
    socket.channels.push(a);
    conn().reply(event("a", 2));
    socket.channels.splice(0, 1);
    conn().reply(event("b", 2));
    conn().reply(event("a", 3));
    expect(got).toEqual(["b", "a", "a"]);
    socket.disconnect();
  });

  it("does not call an onOpen callback added during an open for that same open", () => {
    const socket = new Socket("ws://example.test/socket", { transport: Fake });
    const late = vi.fn();
    socket.onOpen(() => socket.onOpen(late));
    socket.connect();
    conn().open();
    expect(late).not.toHaveBeenCalled();
    socket.disconnect();
  });

  it("sends a fresh heartbeat when sendHeartbeat() is called while one is pending", () => {
    const socket = open();
    socket.sendHeartbeat();
    const first = socket.pendingHeartbeatRef;
    socket.sendHeartbeat();
    expect(socket.pendingHeartbeatRef).not.toBe(first);
    expect(conn().frames().filter((f) => f[3] === "heartbeat").map((f) => f[1])).toEqual([first, socket.pendingHeartbeatRef]);
    expect(socket.isConnected()).toBe(true);
    socket.disconnect();
  });

  it("join() calls leaveOpenTopic(topic) with the topic alone, and never leaves itself", () => {
    const socket = open();
    const spy = vi.spyOn(socket, "leaveOpenTopic");
    const chan = socket.channel("room:1");
    chan.join();
    expect(spy).toHaveBeenCalledWith("room:1");
    conn().ackJoins();
    chan.rejoin();
    expect(chan.state).toBe("joining");
    socket.disconnect();
  });

  it("isMember() reads the join ref through joinRef(), so stubbing it takes effect", () => {
    const socket = open();
    const chan = socket.channel("room:1");
    vi.spyOn(chan, "joinRef").mockReturnValue("42");
    expect(chan.isMember("room:1", "ev", {}, "42")).toBe(true);
    expect(chan.isMember("room:1", "ev", {}, "41")).toBe(false);
    socket.disconnect();
  });
});
