/**
 * Differential: Socket behaviour that phoenix.js-based suites and wrappers rely on, run against
 * phoenix.js 1.8.16 (the oracle) and ours with the same expectations.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import {
  IMPLS,
  ManualTransport,
  MockWebSocket,
  joinOk,
  lastTransport,
  manualSocket,
  mockEndpoint,
  useCompatCleanup,
} from "./impls";

useCompatCleanup();

describe.each(IMPLS)("Socket defaults and options (%s)", (_name, impl) => {
  it("has the phoenix defaults for timeout, heartbeat, long-poll timeout, binary type and vsn", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    expect(socket.timeout).toBe(10000);
    expect(socket.heartbeatIntervalMs).toBe(30000);
    expect(socket.longpollerTimeout).toBe(20000);
    expect(socket.binaryType).toBe("arraybuffer");
    expect(socket.vsn).toBe("2.0.0");
  });

  it("appends /websocket to the endpoint", () => {
    expect(new impl.Socket("/socket", { transport: ManualTransport }).endPoint).toBe("/socket/websocket");
    expect(new impl.Socket("wss://h.example/live", { transport: ManualTransport }).endPoint).toBe("wss://h.example/live/websocket");
  });

  it("starts with empty channels, send buffer, ref 0, no logger, a clean close and no connection", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    expect(socket.channels).toEqual([]);
    expect(socket.sendBuffer).toEqual([]);
    expect(socket.ref).toBe(0);
    expect(socket.logger).toBeNull();
    expect(socket.hasLogger()).toBe(false);
    expect(socket.closeWasClean).toBe(true);
    expect(socket.conn).toBeFalsy();
    expect(socket.pendingHeartbeatRef).toBeNull();
    expect(socket.transport).toBe(ManualTransport);
  });

  it("has stateChangeCallbacks with open, close, error and message lists", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    expect(socket.stateChangeCallbacks).toEqual({ open: [], close: [], error: [], message: [] });
  });

  it("waits 10, 50, 100, 150, 200, 250, 500, 1000, 2000 then 5000 ms between reconnects", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const steps = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((tries) => socket.reconnectAfterMs(tries));
    expect(steps).toEqual([10, 50, 100, 150, 200, 250, 500, 1000, 2000, 5000, 5000, 5000]);
  });

  it("waits 1000, 2000, 5000 then 10000 ms between rejoins", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const steps = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((tries) => socket.rejoinAfterMs(tries));
    expect(steps).toEqual([1000, 2000, 5000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000, 10000]);
  });

  it("uses the reconnectAfterMs and rejoinAfterMs functions it is given", () => {
    const socket = new impl.Socket("/socket", {
      transport: ManualTransport,
      reconnectAfterMs: (tries: number) => tries * 7,
      rejoinAfterMs: (tries: number) => tries * 11,
    });
    expect(socket.reconnectAfterMs(3)).toBe(21);
    expect(socket.rejoinAfterMs(2)).toBe(22);
  });

  it("takes timeout, heartbeat interval, long-poll timeout, binary type and vsn from the options", () => {
    const socket = new impl.Socket("/socket", {
      transport: ManualTransport,
      timeout: 1234,
      heartbeatIntervalMs: 555,
      longpollerTimeout: 777,
      binaryType: "blob",
      vsn: "1.0.0",
    });
    expect([socket.timeout, socket.heartbeatIntervalMs, socket.longpollerTimeout, socket.binaryType, socket.vsn]).toEqual([
      1234,
      555,
      777,
      "blob",
      "1.0.0",
    ]);
  });

  it("turns object params into a function returning them", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport, params: { token: "abc" } });
    expect(typeof socket.params).toBe("function");
    expect(socket.params()).toEqual({ token: "abc" });
    expect(new impl.Socket("/socket", { transport: ManualTransport }).params()).toEqual({});
  });

  it("keeps a params function and calls it each time the URL is built", () => {
    let n = 0;
    const params = (): Record<string, unknown> => ({ n: ++n });
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport, params });
    expect(socket.params()).toEqual({ n: 1 });
    expect(socket.endPointURL()).toBe("ws://h.example/socket/websocket?n=2&vsn=2.0.0");
    expect(socket.endPointURL()).toBe("ws://h.example/socket/websocket?n=3&vsn=2.0.0");
  });

  it("uses the logger it is given, and hasLogger() says so", () => {
    const logger = vi.fn();
    const socket = new impl.Socket("/socket", { transport: ManualTransport, logger });
    expect(socket.hasLogger()).toBe(true);
    socket.log("kind", "msg", { a: 1 });
    expect(logger).toHaveBeenCalledWith("kind", "msg", { a: 1 });
  });

  it("logs to console.log as 'kind: msg' with debug: true", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    const socket = new impl.Socket("/socket", { transport: ManualTransport, debug: true });
    socket.log("push", "hello", 42);
    expect(spy).toHaveBeenCalledWith("push: hello", 42);
  });

  it("keeps the transport class it is given and offers LongPoll through getLongPollTransport()", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    expect(socket.transport).toBe(ManualTransport);
    expect(socket.getLongPollTransport()).toBe(impl.LongPoll);
  });
});

describe.each(IMPLS)("Socket endPointURL and protocol (%s)", (_name, impl) => {
  it("a null param is left out of the URL (phoenix.js serializes null as nothing)", () => {
    const socket = new impl.Socket("ws://h/socket", { transport: ManualTransport, params: { token: null } });
    expect(socket.endPointURL()).not.toContain("token");
  });

  it("logs 'transport', '<TransportName> connected to <url>' on open", () => {
    const logger = vi.fn();
    manualSocket(impl, { logger });
    expect(logger).toHaveBeenCalledWith("transport", "ManualTransport connected to ws://manual.test/socket/websocket?vsn=2.0.0", undefined);
  });

  it("replaceTransport() returns the new connect clock (a number)", () => {
    const socket = new impl.Socket("ws://h/socket", { transport: ManualTransport });
    expect(typeof socket.replaceTransport(ManualTransport)).toBe("number");
  });

  it("appends params and vsn to an absolute endpoint", () => {
    const socket = new impl.Socket("wss://h.example/socket", { transport: ManualTransport, params: { token: "a b", n: 1 } });
    expect(socket.endPointURL()).toBe("wss://h.example/socket/websocket?token=a%20b&n=1&vsn=2.0.0");
  });

  it("encodes nested params with brackets", () => {
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport, params: { user: { id: 7, name: "x" } } });
    expect(socket.endPointURL()).toBe("ws://h.example/socket/websocket?user%5Bid%5D=7&user%5Bname%5D=x&vsn=2.0.0");
  });

  it("puts the configured vsn in the URL", () => {
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport, vsn: "1.0.0" });
    expect(socket.endPointURL()).toBe("ws://h.example/socket/websocket?vsn=1.0.0");
  });

  it("prefixes a protocol-relative endpoint with wss on an https page", () => {
    vi.stubGlobal("location", { protocol: "https:", host: "app.example" });
    const socket = new impl.Socket("//other.example/socket", { transport: ManualTransport });
    expect(socket.endPointURL()).toBe("wss://other.example/socket/websocket?vsn=2.0.0");
  });

  it("prefixes a protocol-relative endpoint with ws on an http page", () => {
    vi.stubGlobal("location", { protocol: "http:", host: "app.example" });
    const socket = new impl.Socket("//other.example/socket", { transport: ManualTransport });
    expect(socket.endPointURL()).toBe("ws://other.example/socket/websocket?vsn=2.0.0");
  });

  it("resolves a path endpoint against the page host", () => {
    vi.stubGlobal("location", { protocol: "https:", host: "app.example:4000" });
    const socket = new impl.Socket("/socket", { transport: ManualTransport, params: { t: "1" } });
    expect(socket.endPointURL()).toBe("wss://app.example:4000/socket/websocket?t=1&vsn=2.0.0");
  });

  it("reports wss for https pages and ws otherwise from protocol()", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    vi.stubGlobal("location", { protocol: "https:", host: "a" });
    expect(socket.protocol()).toBe("wss");
    vi.stubGlobal("location", { protocol: "http:", host: "a" });
    expect(socket.protocol()).toBe("ws");
  });
});

describe.each(IMPLS)("Socket callbacks and refs (%s)", (_name, impl) => {
  it("makeRef returns increasing string refs", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    expect([socket.makeRef(), socket.makeRef(), socket.makeRef()]).toEqual(["1", "2", "3"]);
    expect(socket.ref).toBe(3);
  });

  it("makeRef wraps to 0 when the counter cannot grow any more", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    socket.ref = Number.MAX_SAFE_INTEGER + 1;
    expect(socket.makeRef()).toBe("0");
    expect(socket.makeRef()).toBe("1");
  });

  it("onOpen, onClose, onError and onMessage return refs from the socket's ref sequence", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const refs = [socket.onOpen(() => {}), socket.onClose(() => {}), socket.onError(() => {}), socket.onMessage(() => {})];
    expect(refs).toEqual(["1", "2", "3", "4"]);
    expect(socket.makeRef()).toBe("5");
  });

  it("stores callbacks as [ref, callback] pairs", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const open = (): void => {};
    const close = (): void => {};
    const ref1 = socket.onOpen(open);
    const ref2 = socket.onClose(close);
    expect(socket.stateChangeCallbacks.open).toEqual([[ref1, open]]);
    expect(socket.stateChangeCallbacks.close).toEqual([[ref2, close]]);
    expect(socket.stateChangeCallbacks.error).toEqual([]);
  });

  it("off(refs) removes those callbacks from every list and keeps the others", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const keep = (): void => {};
    const a = socket.onOpen(() => {});
    const b = socket.onError(() => {});
    const c = socket.onMessage(() => {});
    const k = socket.onOpen(keep);
    socket.off([a, b, c]);
    expect(socket.stateChangeCallbacks.open).toEqual([[k, keep]]);
    expect(socket.stateChangeCallbacks.error).toEqual([]);
    expect(socket.stateChangeCallbacks.message).toEqual([]);
  });

  it("calls onOpen callbacks when the transport opens", () => {
    const socket = new impl.Socket("ws://manual.test/socket", { transport: ManualTransport });
    const open = vi.fn();
    socket.onOpen(open);
    socket.connect();
    expect(open).not.toHaveBeenCalled();
    lastTransport().open();
    expect(open).toHaveBeenCalledTimes(1);
  });

  it("calls onClose callbacks with the close event", () => {
    const { socket, t } = manualSocket(impl);
    const close = vi.fn();
    socket.onClose(close);
    t.drop(4001, "bye");
    expect(close).toHaveBeenCalledTimes(1);
    expect(close.mock.calls[0]![0]).toMatchObject({ code: 4001, reason: "bye" });
  });

  it("calls onError callbacks with the error, the transport class and the connections established so far", () => {
    const { socket, t } = manualSocket(impl);
    const onError = vi.fn();
    socket.onError(onError);
    const err = { type: "error" };
    t.onerror!(err);
    expect(onError).toHaveBeenCalledWith(err, ManualTransport, 1);
  });

  it("calls onMessage callbacks with each decoded message", () => {
    const { socket, t } = manualSocket(impl);
    const onMessage = vi.fn();
    socket.onMessage(onMessage);
    t.receive(null, null, "room:1", "new_msg", { body: "hi" });
    expect(onMessage).toHaveBeenCalledWith({ join_ref: null, ref: null, topic: "room:1", event: "new_msg", payload: { body: "hi" } });
  });

  it("does not call callbacks removed with off()", () => {
    const { socket, t } = manualSocket(impl);
    const onMessage = vi.fn();
    const ref = socket.onMessage(onMessage);
    socket.off([ref]);
    t.receive(null, null, "room:1", "new_msg", {});
    expect(onMessage).not.toHaveBeenCalled();
  });
});

describe.each(IMPLS)("Socket connection state (%s)", (_name, impl) => {
  it("is closed and not connected before connect()", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    expect(socket.connectionState()).toBe("closed");
    expect(socket.isConnected()).toBe(false);
  });

  it("follows the transport's readyState: connecting, open, closing, closed", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    expect(socket.connectionState()).toBe("connecting");
    expect(socket.isConnected()).toBe(false);
    t.open();
    expect(socket.connectionState()).toBe("open");
    expect(socket.isConnected()).toBe(true);
    t.readyState = 2;
    expect(socket.connectionState()).toBe("closing");
    t.readyState = 3;
    expect(socket.connectionState()).toBe("closed");
  });

  it("connect() builds the transport with the endpoint URL, binary type and long-poll timeout", () => {
    const { t } = manualSocket(impl, { params: { a: "1" }, longpollerTimeout: 1500 }, false);
    expect(t.url).toBe("ws://manual.test/socket/websocket?a=1&vsn=2.0.0");
    expect(t.binaryType).toBe("arraybuffer");
    expect(t.timeout).toBe(1500);
  });

  it("connect(params) (deprecated) logs a deprecation to console.log and uses the params", () => {
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    const socket = new impl.Socket("ws://h/socket", { transport: ManualTransport });
    socket.connect({ a: "1" });
    expect(socket.params()).toEqual({ a: "1" });
    expect(lastTransport().url).toBe("ws://h/socket/websocket?a=1&vsn=2.0.0");
    expect(spy).toHaveBeenCalled();
  });

  it("connect() while connecting or connected does not open a second transport", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    socket.connect();
    expect(ManualTransport.instances).toHaveLength(1);
    t.open();
    socket.connect();
    expect(ManualTransport.instances).toHaveLength(1);
    expect(socket.conn).toBe(t);
  });

  it("exposes the transport instance as conn", () => {
    const { socket, t } = manualSocket(impl);
    expect(socket.conn).toBe(t);
  });

  it("clears closeWasClean on connect", () => {
    const { socket } = manualSocket(impl, {}, false);
    expect(socket.closeWasClean).toBe(false);
  });

  it("sends the auth token as the phoenix and base64url.bearer.phx. sub-protocols", () => {
    const { t } = manualSocket(impl, { authToken: "my-token" }, false);
    expect(t.protocols).toEqual(["phoenix", "base64url.bearer.phx.bXktdG9rZW4"]);
  });

  it("passes no sub-protocols without an auth token", () => {
    const { t } = manualSocket(impl, {}, false);
    expect(t.protocols).toBeUndefined();
  });
});

describe.each(IMPLS)("Socket push and send buffer (%s)", (_name, impl) => {
  it("sends a pushed message as a V2 JSON array when connected", () => {
    const { socket, t } = manualSocket(impl);
    socket.push({ topic: "room:1", event: "new_msg", payload: { body: "x" }, ref: "9", join_ref: "3" });
    expect(t.sent).toEqual(['["3","9","room:1","new_msg",{"body":"x"}]']);
    expect(socket.sendBuffer).toHaveLength(0);
  });

  it("buffers pushes while not connected and sends them in order on open", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    socket.push({ topic: "t", event: "a", payload: {}, ref: "1", join_ref: null });
    socket.push({ topic: "t", event: "b", payload: {}, ref: "2", join_ref: null });
    expect(socket.sendBuffer).toHaveLength(2);
    expect(t.sent).toEqual([]);
    t.open();
    expect(t.frames().map((f) => f[3])).toEqual(["a", "b"]);
    expect(socket.sendBuffer).toHaveLength(0);
  });

  it("buffers pushes made before connect() and sends them once connected", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    vi.stubGlobal("location", { protocol: "http:", host: "h" });
    socket.push({ topic: "t", event: "early", payload: {}, ref: "1", join_ref: null });
    expect(socket.sendBuffer).toHaveLength(1);
    socket.connect();
    lastTransport().open();
    expect(lastTransport().frames().map((f) => f[3])).toEqual(["early"]);
  });

  it("flushSendBuffer() does nothing while not connected", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    socket.push({ topic: "t", event: "a", payload: {}, ref: "1", join_ref: null });
    socket.flushSendBuffer();
    expect(socket.sendBuffer).toHaveLength(1);
    expect(t.sent).toEqual([]);
  });

  it("encodes through socket.encode, so a custom encoder sees every push", () => {
    const encode = vi.fn((msg: any, cb: (s: string) => void) => cb(`custom:${msg.event}`));
    const { socket, t } = manualSocket(impl, { encode });
    socket.push({ topic: "t", event: "e", payload: {}, ref: "1", join_ref: null });
    expect(t.sent).toEqual(["custom:e"]);
    expect(encode).toHaveBeenCalledTimes(1);
  });

  it("decodes through socket.decode, so a custom decoder sees every frame", () => {
    const decode = vi.fn((raw: string, cb: (m: unknown) => void) =>
      cb({ join_ref: null, ref: null, topic: "t", event: raw, payload: {} }),
    );
    const { socket, t } = manualSocket(impl, { decode });
    const onMessage = vi.fn();
    socket.onMessage(onMessage);
    t.onmessage!({ data: "hello" });
    expect(onMessage).toHaveBeenCalledWith({ join_ref: null, ref: null, topic: "t", event: "hello", payload: {} });
  });
});

describe.each(IMPLS)("Socket heartbeat (%s)", (_name, impl) => {
  it("sends a heartbeat after heartbeatIntervalMs once open", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 1000 });
    vi.advanceTimersByTime(999);
    expect(t.sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(t.frames()).toEqual([[null, socket.pendingHeartbeatRef, "phoenix", "heartbeat", {}]]);
    expect(socket.pendingHeartbeatRef).toEqual(expect.any(String));
  });

  it("sendHeartbeat() pushes a heartbeat and records its ref when connected", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const push = vi.spyOn(socket, "push");
    socket.sendHeartbeat();
    const ref = socket.pendingHeartbeatRef;
    expect(ref).toEqual(expect.any(String));
    expect(push).toHaveBeenCalledTimes(1);
    expect(push.mock.calls[0]![0]).toMatchObject({ topic: "phoenix", event: "heartbeat", payload: {}, ref });
    expect(t.frames()).toEqual([[null, ref, "phoenix", "heartbeat", {}]]);
  });

  it("sendHeartbeat() calls socket.push with exactly {topic, event, payload, ref} (no join_ref key)", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl);
    const push = vi.spyOn(socket, "push");
    socket.sendHeartbeat();
    expect(push).toHaveBeenCalledWith({ topic: "phoenix", event: "heartbeat", payload: {}, ref: socket.pendingHeartbeatRef });
  });

  it("sendHeartbeat() does nothing while a heartbeat is pending and the socket is not connected", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    socket.sendHeartbeat();
    const first = socket.pendingHeartbeatRef;
    t.readyState = 3;
    const push = vi.spyOn(socket, "push");
    socket.sendHeartbeat();
    expect(push).not.toHaveBeenCalled();
    expect(socket.pendingHeartbeatRef).toBe(first);
  });

  it("clears the pending heartbeat on its reply and schedules the next one", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 1000 });
    vi.advanceTimersByTime(1000);
    const ref = socket.pendingHeartbeatRef;
    t.receive(null, ref, "phoenix", "phx_reply", { status: "ok", response: {} });
    expect(socket.pendingHeartbeatRef).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(t.frames().filter((f) => f[3] === "heartbeat")).toHaveLength(2);
    expect(t.closed).toEqual([]);
  });

  it("closes with 1000 'heartbeat timeout' when a heartbeat gets no reply, and reconnects", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 1000 });
    vi.advanceTimersByTime(1000);
    expect(socket.pendingHeartbeatRef).not.toBeNull();
    vi.advanceTimersByTime(1000);
    expect(t.closed).toEqual([[1000, "heartbeat timeout"]]);
    expect(socket.pendingHeartbeatRef).toBeNull();
    vi.advanceTimersByTime(2000);
    expect(ManualTransport.instances).toHaveLength(2);
    expect(socket.conn).toBe(lastTransport());
  });

  it("errors the joined channels on a heartbeat timeout", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 1000 });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const onError = vi.fn();
    channel.onError(onError);
    vi.advanceTimersByTime(2000);
    expect(channel.state).toBe("errored");
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it("heartbeatTimeout() does nothing when no heartbeat is pending", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    socket.heartbeatTimeout();
    expect(t.closed).toEqual([]);
    expect(socket.isConnected()).toBe(true);
  });

  it("does not send heartbeats on a transport that sets skipHeartbeat", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 }, false);
    (t as any).skipHeartbeat = true;
    t.open();
    vi.advanceTimersByTime(1000);
    expect(t.sent).toEqual([]);
    expect(socket.pendingHeartbeatRef).toBeNull();
  });

  it("ping() answers false when not connected", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const cb = vi.fn();
    expect(socket.ping(cb)).toBe(false);
    expect(cb).not.toHaveBeenCalled();
  });

  it("ping() sends a heartbeat and calls back with the round trip in ms", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const cb = vi.fn();
    expect(socket.ping(cb)).toBe(true);
    const [frame] = t.frames();
    expect(frame!.slice(2)).toEqual(["phoenix", "heartbeat", {}]);
    vi.advanceTimersByTime(42);
    t.receive(null, frame![1], "phoenix", "phx_reply", { status: "ok", response: {} });
    expect(cb).toHaveBeenCalledWith(42);
  });
});

describe.each(IMPLS)("Socket channels registry (%s)", (_name, impl) => {
  it("channel(topic, params) creates a channel and adds it to channels", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1", { one: 1 });
    expect(socket.channels).toEqual([channel]);
    expect(channel.topic).toBe("room:1");
    expect(channel.params()).toEqual({ one: 1 });
    expect(channel.socket).toBe(socket);
    expect(channel.state).toBe("closed");
  });

  it("channel(topic) without params has empty params", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    expect(socket.channel("room:1").params()).toEqual({});
  });

  it("remove(channel) drops it from channels and leaves no socket callbacks behind", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const counts = (): number[] => Object.values(socket.stateChangeCallbacks).map((l: any) => l.length);
    const before = counts();
    const keep = socket.channel("a");
    const withKeep = counts();
    const gone = socket.channel("b");
    socket.remove(gone);
    expect(socket.channels).toEqual([keep]);
    expect(counts()).toEqual(withKeep);
    socket.remove(keep);
    expect(counts()).toEqual(before);
  });

  it("routes a message to the channels of its topic only", () => {
    const { socket, t } = manualSocket(impl);
    const a = socket.channel("room:a");
    const b = socket.channel("room:b");
    const onA = vi.fn();
    const onB = vi.fn();
    a.on("msg", onA);
    b.on("msg", onB);
    t.receive(null, "5", "room:a", "msg", { n: 1 });
    expect(onA).toHaveBeenCalledTimes(1);
    expect(onA.mock.calls[0]!.slice(0, 2)).toEqual([{ n: 1 }, "5"]);
    expect(onB).not.toHaveBeenCalled();
  });

  it("onConnMessage({data}) called directly dispatches to channel.trigger with event, payload, ref and join_ref", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const trigger = vi.spyOn(channel, "trigger");
    const joinRef = channel.joinRef();
    socket.onConnMessage({ data: JSON.stringify([joinRef, "77", "room:1", "evt", { x: 1 }]) });
    expect(trigger).toHaveBeenCalledWith("evt", { x: 1 }, "77", joinRef);
  });

  it("drops messages carrying a join_ref other than the channel's current one", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const cb = vi.fn();
    channel.on("evt", cb);
    t.receive("stale-ref", null, "room:1", "evt", { old: true });
    expect(cb).not.toHaveBeenCalled();
    t.receive(channel.joinRef(), null, "room:1", "evt", { current: true });
    t.receive(null, null, "room:1", "evt", { broadcast: true });
    expect(cb.mock.calls.map((c) => c[0])).toEqual([{ current: true }, { broadcast: true }]);
  });

  it("leaveOpenTopic(topic) makes a joined channel on that topic leave (closed at once, removed)", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    const other = socket.channel("room:2");
    joinOk(channel, t);
    joinOk(other, t);
    socket.leaveOpenTopic("room:1");
    expect(channel.state).toBe("closed");
    expect(other.state).toBe("joined");
    expect(socket.channels).toEqual([other]);
    expect(t.frames().map((f) => [f[2], f[3]])).toEqual([
      ["room:1", "phx_join"],
      ["room:2", "phx_join"],
      ["room:1", "phx_leave"],
    ]);
  });

  it("joining a second channel on a joined topic makes the first one leave", () => {
    const { socket, t } = manualSocket(impl);
    const first = socket.channel("room:1");
    joinOk(first, t);
    const second = socket.channel("room:1");
    second.join();
    expect(first.state).toBe("closed");
    expect(socket.channels).toEqual([second]);
    expect(second.state).toBe("joining");
    expect(t.frames().map((f) => f[3])).toEqual(["phx_join", "phx_leave", "phx_join"]);
  });

  it("spying on socket.push sees the join, the pushes and the leave of a channel", () => {
    const { socket, t } = manualSocket(impl);
    const push = vi.spyOn(socket, "push");
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    channel.push("hello", { a: 1 });
    channel.leave();
    expect(push.mock.calls.map((c: any[]) => c[0].event)).toEqual(["phx_join", "hello", "phx_leave"]);
    expect(push.mock.calls[1]![0]).toEqual({ topic: "room:1", event: "hello", payload: { a: 1 }, ref: expect.any(String), join_ref: channel.joinRef() });
  });
});

describe.each(IMPLS)("Socket close, error and reconnect (%s)", (_name, impl) => {
  it("errors joined channels when the connection closes", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const onError = vi.fn();
    channel.onError(onError);
    t.drop();
    expect(channel.state).toBe("errored");
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it("errors joined channels on a transport error", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    t.onerror!({ type: "error" });
    expect(channel.state).toBe("errored");
  });

  it("onConnClose() called directly errors the channels and calls onClose callbacks", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const onClose = vi.fn();
    socket.onClose(onClose);
    t.readyState = 3;
    socket.onConnClose({ code: 1006 });
    expect(channel.state).toBe("errored");
    expect(onClose).toHaveBeenCalledWith({ code: 1006 });
  });

  it("the reason a transport close gives the channels is {source: 'transport', reason: 'connection_closed'}", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("a");
    joinOk(channel, t);
    const onError = vi.fn();
    channel.onError(onError);
    t.drop();
    expect(onError).toHaveBeenCalledWith({ source: "transport", reason: "connection_closed" });
  });

  it("the reason a transport error gives the channels is {source: 'transport', reason: 'connection_error'}", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("a");
    joinOk(channel, t);
    const onError = vi.fn();
    channel.onError(onError);
    t.onerror!({ type: "error" });
    expect(onError).toHaveBeenCalledWith({ source: "transport", reason: "connection_error" });
  });

  it("the reason a heartbeat timeout gives the channels is {source: 'transport', reason: 'heartbeat_timeout'}", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    const channel = socket.channel("a");
    joinOk(channel, t);
    const onError = vi.fn();
    channel.onError(onError);
    vi.advanceTimersByTime(200);
    expect(onError).toHaveBeenCalledWith({ source: "transport", reason: "heartbeat_timeout" });
  });

  it("does not error channels that are closed or were never joined", () => {
    const { socket, t } = manualSocket(impl);
    const idle = socket.channel("idle");
    t.drop();
    expect(idle.state).toBe("closed");
  });

  it("reconnects after an unclean close following the reconnectAfterMs steps", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    t.drop();
    expect(ManualTransport.instances).toHaveLength(1);
    vi.advanceTimersByTime(9);
    expect(ManualTransport.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(ManualTransport.instances).toHaveLength(2);
    expect(socket.reconnectTimer.tries).toBe(1);
    lastTransport().drop();
    vi.advanceTimersByTime(49);
    expect(ManualTransport.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(ManualTransport.instances).toHaveLength(3);
    expect(socket.reconnectTimer.tries).toBe(2);
  });

  it("resets the reconnect tries once a connection opens", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    t.drop();
    vi.advanceTimersByTime(10);
    expect(socket.reconnectTimer.tries).toBe(1);
    lastTransport().open();
    expect(socket.reconnectTimer.tries).toBe(0);
  });

  it("rejoins errored channels when the socket reconnects", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    t.drop();
    vi.advanceTimersByTime(10);
    const t2 = lastTransport();
    t2.open();
    expect(channel.state).toBe("joining");
    expect(t2.frames().map((f) => [f[2], f[3]])).toEqual([["room:1", "phx_join"]]);
  });

  it("does not reconnect after disconnect()", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    socket.disconnect();
    t.drop(1000);
    vi.advanceTimersByTime(60000);
    expect(ManualTransport.instances).toHaveLength(1);
    expect(socket.closeWasClean).toBe(true);
  });

  it("disconnect(callback, code, reason) closes the transport with them and calls back", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const cb = vi.fn();
    socket.disconnect(cb, 4000, "going away");
    expect(t.closed).toEqual([[4000, "going away"]]);
    vi.advanceTimersByTime(2000);
    expect(cb).toHaveBeenCalledTimes(1);
    expect(socket.conn).toBeFalsy();
    expect(socket.connectionState()).toBe("closed");
  });

  it("disconnect() without code closes the transport with no arguments", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    socket.disconnect();
    expect(t.closed).toEqual([[undefined, undefined]]);
  });

  it("disconnect(callback) with no connection calls back at once", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const cb = vi.fn();
    socket.disconnect(cb);
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("errors joined channels on disconnect()", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    socket.disconnect();
    expect(channel.state).toBe("errored");
  });

  it("teardown(callback) closes the transport, forgets it and calls back", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const cb = vi.fn();
    socket.teardown(cb);
    vi.advanceTimersByTime(1000);
    expect(t.closed).toHaveLength(1);
    expect(cb).toHaveBeenCalledTimes(1);
    expect(socket.conn).toBeFalsy();
  });

  it("connects again after disconnect() then connect()", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl);
    socket.disconnect();
    vi.advanceTimersByTime(1000);
    socket.connect();
    expect(ManualTransport.instances).toHaveLength(2);
    lastTransport().open();
    expect(socket.isConnected()).toBe(true);
  });

  it("onConnOpen() called directly flushes the buffer, counts the connection and calls onOpen callbacks", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const open = vi.fn();
    socket.onOpen(open);
    socket.push({ topic: "t", event: "a", payload: {}, ref: "1", join_ref: null });
    t.readyState = 1;
    socket.onConnOpen();
    expect(open).toHaveBeenCalledTimes(1);
    expect(socket.establishedConnections).toBe(1);
    expect(t.frames().map((f) => f[3])).toEqual(["a"]);
    expect(socket.sendBuffer).toEqual([]);
  });

  it("conn.onopen() called directly opens the socket", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const open = vi.fn();
    socket.onOpen(open);
    t.readyState = 1;
    t.onopen!();
    expect(open).toHaveBeenCalledTimes(1);
    expect(socket.isConnected()).toBe(true);
  });

  it("spying on conn.send sees each frame the socket writes", () => {
    const { socket, t } = manualSocket(impl);
    const send = vi.spyOn(t, "send");
    const channel = socket.channel("room:1");
    channel.join();
    expect(send).toHaveBeenCalledTimes(1);
    expect(JSON.parse(send.mock.calls[0]![0] as string)).toEqual([channel.joinRef(), channel.joinRef(), "room:1", "phx_join", {}]);
  });
});

describe.each(IMPLS)("Socket over mock-socket (%s)", (_name, impl) => {
  it("opens against a mock-socket Server and calls onOpen", async () => {
    vi.useFakeTimers();
    const { server, endPoint } = mockEndpoint();
    const connected = vi.fn();
    server.on("connection", connected);
    const socket = new impl.Socket(endPoint, { transport: MockWebSocket });
    const open = vi.fn();
    socket.onOpen(open);
    socket.connect();
    expect(socket.connectionState()).toBe("connecting");
    await vi.advanceTimersByTimeAsync(10);
    expect(connected).toHaveBeenCalledTimes(1);
    expect(open).toHaveBeenCalledTimes(1);
    expect(socket.isConnected()).toBe(true);
    socket.disconnect();
  });

  it("joins a channel against a mock server that answers the join", async () => {
    vi.useFakeTimers();
    const { server, endPoint } = mockEndpoint();
    const received: unknown[] = [];
    server.on("connection", (ws: any) => {
      ws.on("message", (data: string) => {
        const [joinRef, ref, topic, event] = JSON.parse(data);
        received.push(event);
        if (event === "phx_join") ws.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response: { hi: 1 } }]));
      });
    });
    const socket = new impl.Socket(endPoint, { transport: MockWebSocket });
    socket.connect();
    const channel = socket.channel("room:1");
    const ok = vi.fn();
    channel.join().receive("ok", ok);
    await vi.advanceTimersByTimeAsync(20);
    expect(received).toEqual(["phx_join"]);
    expect(ok).toHaveBeenCalledWith({ hi: 1 });
    expect(channel.state).toBe("joined");
    socket.disconnect();
  });

  it("errors the channel and reconnects when the mock server closes the connection", async () => {
    vi.useFakeTimers();
    const { server, endPoint } = mockEndpoint();
    const connections: any[] = [];
    server.on("connection", (ws: any) => {
      connections.push(ws);
      ws.on("message", (data: string) => {
        const [joinRef, ref, topic, event] = JSON.parse(data);
        if (event === "phx_join") ws.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response: {} }]));
      });
    });
    const socket = new impl.Socket(endPoint, { transport: MockWebSocket, reconnectAfterMs: () => 500 });
    socket.connect();
    const channel = socket.channel("room:1");
    channel.join();
    await vi.advanceTimersByTimeAsync(20);
    expect(channel.state).toBe("joined");
    connections[0].close({ code: 1011, reason: "crash", wasClean: false });
    await vi.advanceTimersByTimeAsync(20);
    expect(channel.state).toBe("errored");
    expect(connections).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(connections).toHaveLength(2);
    expect(channel.state).toBe("joined");
    socket.disconnect();
  });
});
