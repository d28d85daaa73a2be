/**
 * Differential: the internals that suites and wrappers written for phoenix.js reach past the
 * documented API for (issue 2, item 13), run against phoenix.js 1.8.16 (the oracle) and ours.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import {
  BrowserLikeTransport,
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

describe.each(IMPLS)("Socket internals (%s)", (_name, impl) => {
  it("sendBuffer holds one function per buffered push", () => {
    const { socket } = manualSocket(impl, {}, false);
    socket.push({ topic: "t", event: "x", payload: {}, ref: "1", join_ref: null });
    expect(socket.sendBuffer).toHaveLength(1);
    expect(typeof socket.sendBuffer[0]).toBe("function");
  });

  it("disconnect() keeps the pushes buffered while connecting", () => {
    const { socket } = manualSocket(impl, {}, false);
    socket.push({ topic: "t", event: "x", payload: {}, ref: "1", join_ref: null });
    socket.disconnect();
    expect(socket.sendBuffer).toHaveLength(1);
  });

  it("drops a buffered channel push whose join ref is outdated by the time it is flushed", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const channel = socket.channel("t");
    channel.join();
    socket.push({ topic: "t", event: "x", payload: {}, ref: "99", join_ref: "old" }, channel);
    t.open();
    expect(t.frames().map((f) => f[3])).toEqual(["phx_join"]);
  });

  it("holds heartbeatTimer while waiting to send and heartbeatTimeoutTimer while waiting for the reply", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    expect(socket.heartbeatTimer).toBeTruthy();
    vi.advanceTimersByTime(100);
    expect(socket.heartbeatTimeoutTimer).toBeTruthy();
  });

  it("onConnMessage() with the pending heartbeat's reply clears pendingHeartbeatRef", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    socket.sendHeartbeat();
    const ref = socket.pendingHeartbeatRef;
    socket.onConnMessage({ data: JSON.stringify([null, ref, "phoenix", "phx_reply", { status: "ok", response: {} }]) });
    expect(socket.pendingHeartbeatRef).toBeNull();
  });

  it("transportConnect() creates the transport and wires its handlers", () => {
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport });
    socket.transportConnect();
    const t = lastTransport();
    expect(socket.conn).toBe(t);
    expect([t.onopen, t.onclose, t.onerror, t.onmessage].every((h) => typeof h === "function")).toBe(true);
  });

  it("teardown(callback) with no connection calls back at once", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const cb = vi.fn();
    socket.teardown(cb);
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("counts establishedConnections across reconnects", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    t.drop();
    vi.advanceTimersByTime(10);
    lastTransport().open();
    expect(socket.establishedConnections).toBe(2);
  });

  it("replaceTransport() closes the connection and uses the new transport class from then on", () => {
    const { socket, t } = manualSocket(impl);
    class Other extends ManualTransport {}
    socket.replaceTransport(Other);
    expect(t.closed).toHaveLength(1);
    expect(socket.transport).toBe(Other);
    expect(socket.conn).toBeFalsy();
    socket.connect();
    expect(lastTransport()).toBeInstanceOf(Other);
  });

  it("off() with refs it does not know leaves the callbacks alone", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    socket.onOpen(() => {});
    socket.off(["nope"]);
    expect(socket.stateChangeCallbacks.open).toHaveLength(1);
  });

  it("calls onMessage callbacks after the channel bindings", () => {
    const { socket, t } = manualSocket(impl);
    const order: string[] = [];
    const a = socket.channel("a");
    a.on("x", () => order.push("binding"));
    socket.onMessage(() => order.push("onMessage"));
    t.receive(null, null, "a", "x", {});
    expect(order).toEqual(["binding", "onMessage"]);
  });

  it("a channel's join ref comes from the socket's ref sequence", () => {
    const { socket } = manualSocket(impl);
    socket.onOpen(() => {});
    const channel = socket.channel("t");
    channel.join();
    expect(channel.joinRef()).toBe(String(socket.ref));
  });

  it("keeps two channels on one topic in channels until one joins", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const a = socket.channel("a");
    const b = socket.channel("a");
    expect(socket.channels).toEqual([a, b]);
  });

  it("errors joined and joining channels on a close, and leaves closed ones alone", () => {
    const { socket, t } = manualSocket(impl);
    const joined = socket.channel("a");
    joinOk(joined, t);
    const joining = socket.channel("b");
    joining.join();
    const idle = socket.channel("c");
    t.drop();
    expect([joined.state, joining.state, idle.state]).toEqual(["errored", "errored", "closed"]);
  });

  it("onConnError() resets the rejoin timers of the channels", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("t");
    channel.join();
    t.receive(channel.joinRef(), channel.joinRef(), "t", "phx_reply", { status: "error", response: {} });
    vi.advanceTimersByTime(1000);
    expect(channel.rejoinTimer.tries).toBe(1);
    socket.onConnError({});
    expect(channel.rejoinTimer.tries).toBe(0);
  });
});

describe.each(IMPLS)("Socket close over a browser-like transport (%s)", (_name, impl) => {
  it("disconnect(callback, code, reason) calls onClose once with the transport's close event, then the callback", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, { transport: BrowserLikeTransport });
    const onClose = vi.fn();
    socket.onClose(onClose);
    const cb = vi.fn();
    socket.disconnect(cb, 1000, "bye");
    vi.advanceTimersByTime(1);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(onClose.mock.calls[0]![0]).toMatchObject({ code: 1000, reason: "bye" });
    vi.advanceTimersByTime(1000);
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("a heartbeat timeout closes, reports onClose and reconnects", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { transport: BrowserLikeTransport, heartbeatIntervalMs: 100 });
    const onClose = vi.fn();
    socket.onClose(onClose);
    vi.advanceTimersByTime(200);
    expect(t.closed).toEqual([[1000, "heartbeat timeout"]]);
    vi.advanceTimersByTime(1);
    expect(onClose).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1000);
    expect(ManualTransport.instances).toHaveLength(2);
  });

  it("disconnect() over mock-socket calls onClose and the callback", async () => {
    vi.useFakeTimers();
    const { endPoint } = mockEndpoint();
    const socket = new impl.Socket(endPoint, { transport: MockWebSocket });
    socket.connect();
    await vi.advanceTimersByTimeAsync(10);
    const onClose = vi.fn();
    socket.onClose(onClose);
    const cb = vi.fn();
    socket.disconnect(cb);
    await vi.advanceTimersByTimeAsync(2000);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(cb).toHaveBeenCalledTimes(1);
  });
});

describe.each(IMPLS)("Channel and Push internals (%s)", (_name, impl) => {
  function joined(): { socket: any; t: ManualTransport; channel: any } {
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 600000 });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    return { socket, t, channel };
  }

  it("push.recHooks lists {status, callback} and push.sent tells it went out", () => {
    const { channel } = joined();
    const cb = (): void => {};
    const push = channel.push("evt", {}).receive("ok", cb);
    expect(push.recHooks).toEqual([{ status: "ok", callback: cb }]);
    expect(push.sent).toBe(true);
  });

  it("a buffered push has sent false", () => {
    const { socket } = manualSocket(impl);
    const channel = socket.channel("t");
    channel.join();
    expect(channel.push("x", {}).sent).toBe(false);
  });

  it("channel.trigger('phx_reply', reply, ref) resolves the push with that ref", () => {
    const { channel } = joined();
    const ok = vi.fn();
    const push = channel.push("evt", {}).receive("ok", ok);
    channel.trigger("phx_reply", { status: "ok", response: { c: 1 } }, push.ref);
    expect(ok).toHaveBeenCalledWith({ c: 1 });
  });

  it("a binding on phx_reply sees the join reply", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("a");
    const cb = vi.fn();
    channel.on("phx_reply", cb);
    joinOk(channel, t, { hi: 1 });
    expect(cb).toHaveBeenCalledWith({ status: "ok", response: { hi: 1 } }, channel.joinRef(), channel.joinRef());
  });

  it("a phx_error while joining forgets the join ref and errors the channel", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl);
    const channel = socket.channel("t");
    channel.join();
    channel.trigger("phx_error", {});
    expect(channel.joinPush.ref).toBeNull();
    expect(channel.state).toBe("errored");
  });

  it("setting channel.state to errored makes the next socket open rejoin it", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const channel = socket.channel("t");
    channel.joinedOnce = true;
    channel.state = "errored";
    t.open();
    expect(channel.state).toBe("joining");
  });

  it("leave() on an errored channel closes it and removes it from the socket", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("a");
    joinOk(channel, t);
    t.drop();
    channel.leave();
    expect(channel.state).toBe("closed");
    expect(socket.channels).toEqual([]);
  });

  it("pushes on an errored channel are buffered", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("a");
    joinOk(channel, t);
    t.drop();
    channel.push("x", {});
    expect(channel.pushBuffer).toHaveLength(1);
  });
});

describe.each(IMPLS)("Socket events over mock-socket and browser-like transports (%s)", (_name, impl) => {
  it("disconnect(callback) calls back synchronously when the transport closes synchronously", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl);
    const cb = vi.fn();
    socket.disconnect(cb);
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("disconnect(callback) over a browser-like transport calls back within 150 ms, not synchronously", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, { transport: BrowserLikeTransport });
    const cb = vi.fn();
    socket.disconnect(cb);
    expect(cb).not.toHaveBeenCalled();
    vi.advanceTimersByTime(150);
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("a close from the mock-socket server reaches onClose with its code", async () => {
    vi.useFakeTimers();
    const { server, endPoint } = mockEndpoint();
    const socket = new impl.Socket(endPoint, { transport: MockWebSocket, reconnectAfterMs: () => 100000 });
    socket.connect();
    await vi.advanceTimersByTimeAsync(10);
    const onClose = vi.fn(); socket.onClose(onClose);
    server.close({ code: 4001, reason: "x", wasClean: true });
    await vi.advanceTimersByTimeAsync(10);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(onClose.mock.calls[0][0]).toMatchObject({ code: 4001 });
  });

  it("an error simulated by the mock-socket server reaches onError", async () => {
    vi.useFakeTimers();
    const { server, endPoint } = mockEndpoint();
    const socket = new impl.Socket(endPoint, { transport: MockWebSocket, reconnectAfterMs: () => 100000 });
    socket.connect();
    await vi.advanceTimersByTimeAsync(10);
    const onError = vi.fn(); socket.onError(onError);
    server.simulate("error");
    await vi.advanceTimersByTimeAsync(10);
    expect(onError).toHaveBeenCalled();
  });

  it("connecting where no mock-socket server listens reports onError and onClose once", async () => {
    vi.useFakeTimers();
    const socket = new impl.Socket("ws://nobody.test/socket", { transport: MockWebSocket, reconnectAfterMs: () => 100000 });
    const onError = vi.fn(); socket.onError(onError);
    const onClose = vi.fn(); socket.onClose(onClose);
    socket.connect();
    await vi.advanceTimersByTimeAsync(10);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onClose).toHaveBeenCalledTimes(1);
    socket.disconnect();
  });

  it("a binary broadcast sent by the mock-socket server reaches the channel binding", async () => {
    vi.useFakeTimers();
    const { server, endPoint } = mockEndpoint();
    let client: any;
    server.on("connection", (ws: any) => { client = ws; ws.on("message", (d: string) => { const [j, r, tp, e] = JSON.parse(d); if (e === "phx_join") ws.send(JSON.stringify([j, r, tp, "phx_reply", { status: "ok", response: {} }])); }); });
    const socket = new impl.Socket(endPoint, { transport: MockWebSocket });
    socket.connect();
    const ch = socket.channel("room:1");
    ch.join();
    await vi.advanceTimersByTimeAsync(20);
    const cb = vi.fn(); ch.on("bin", cb);
    const buf = new Uint8Array([2, 6, 3, ...new TextEncoder().encode("room:1bin"), 7, 7]).buffer;
    client.send(buf);
    await vi.advanceTimersByTimeAsync(5);
    expect(cb).toHaveBeenCalledTimes(1);
    expect([...new Uint8Array(cb.mock.calls[0][0])]).toEqual([7, 7]);
    socket.disconnect();
  });
});

describe.each(IMPLS)("Internals changed by hand, and changes during delivery (%s)", (_name, impl) => {
  it("leaving every channel while iterating socket.channels leaves them all", () => {
    const { socket, t } = manualSocket(impl);
    const chans = ["a", "b", "c"].map((n) => { const c = socket.channel(n); joinOk(c, t); return c; });
    socket.channels.forEach((c: any) => c.leave());
    expect(chans.map((c) => c.state)).toEqual(["closed", "closed", "closed"]);
    expect(socket.channels).toEqual([]);
  });

  it("leaving every channel in a for-of over socket.channels leaves them all", () => {
    const { socket, t } = manualSocket(impl);
    const chans = ["a", "b", "c"].map((n) => { const c = socket.channel(n); joinOk(c, t); return c; });
    for (const c of socket.channels) c.leave();
    expect(chans.map((c) => c.state)).toEqual(["closed", "closed", "closed"]);
  });

  it("remove() replaces socket.channels, so an array read earlier is unchanged", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const a = socket.channel("a");
    const before = socket.channels;
    socket.remove(a);
    expect(before).toEqual([a]);
  });

  it("an onOpen callback that offs a later one does not stop it for this open", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    let ref2 = "";
    const second = vi.fn();
    socket.onOpen(() => socket.off([ref2]));
    ref2 = socket.onOpen(second);
    t.open();
    expect(second).toHaveBeenCalledTimes(1);
  });

  it("an onMessage callback can off itself", () => {
    const { socket, t } = manualSocket(impl);
    const cb = vi.fn();
    let ref = "";
    ref = socket.onMessage(() => { cb(); socket.off([ref]); });
    t.receive(null, null, "x", "e", {});
    t.receive(null, null, "x", "e", {});
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("a channel removed by an earlier channel's binding still gets the message being delivered", () => {
    const { socket, t } = manualSocket(impl);
    const a = socket.channel("a");
    const b = socket.channel("a");
    const got = vi.fn();
    a.on("e", () => socket.remove(b));
    b.on("e", got);
    t.receive(null, null, "a", "e", {});
    expect(got).toHaveBeenCalledTimes(1);
  });

  it("two channels on the same topic both get a broadcast", () => {
    const { socket, t } = manualSocket(impl);
    const a = socket.channel("a");
    const b = socket.channel("a");
    const ga = vi.fn(); const gb = vi.fn();
    a.on("e", ga); b.on("e", gb);
    t.receive(null, null, "a", "e", {});
    expect([ga.mock.calls.length, gb.mock.calls.length]).toEqual([1, 1]);
  });

  it("a Channel built with new but not registered gets nothing", () => {
    const { socket, t } = manualSocket(impl);
    const ch = new impl.Channel("manual", {}, socket);
    const cb = vi.fn(); ch.on("e", cb);
    t.receive(null, null, "manual", "e", {});
    expect(cb).not.toHaveBeenCalled();
  });

  it("a [ref, callback] pushed into stateChangeCallbacks.open by hand is called on open", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const cb = vi.fn();
    socket.stateChangeCallbacks.open.push(["x", cb]);
    t.open();
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("stateChangeCallbacks replaced by hand drops the callbacks", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const cb = vi.fn();
    socket.onOpen(cb);
    socket.stateChangeCallbacks = { open: [], close: [], error: [], message: [] };
    t.open();
    expect(cb).not.toHaveBeenCalled();
  });

  it("channel.bindings filtered by hand drops those bindings", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const ch = socket.channel("a");
    const cb = vi.fn(); ch.on("e", cb);
    ch.bindings = ch.bindings.filter((b: any) => b.event !== "e");
    ch.trigger("e", {});
    expect(cb).not.toHaveBeenCalled();
  });

  it("a binding pushed into channel.bindings by hand is called", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const ch = socket.channel("a");
    const cb = vi.fn();
    ch.bindings.push({ event: "e", ref: 99, callback: cb });
    ch.trigger("e", { a: 1 });
    expect(cb).toHaveBeenCalledWith({ a: 1 }, undefined, undefined);
  });

  it("channel.pushBuffer emptied by hand drops the buffered pushes", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    ch.join();
    ch.push("x", {});
    ch.pushBuffer = [];
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "a", "phx_reply", { status: "ok", response: {} });
    expect(t.frames().map((x) => x[3])).toEqual(["phx_join"]);
  });

  it("socket.sendBuffer emptied by hand drops the buffered sends", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    socket.push({ topic: "t", event: "x", payload: {}, ref: "1", join_ref: null });
    socket.sendBuffer = [];
    t.open();
    expect(t.sent).toEqual([]);
  });

  it("socket.encode replaced after construction is used", () => {
    const { socket, t } = manualSocket(impl);
    socket.encode = (m: any, cb: any) => cb("E:" + m.event);
    socket.push({ topic: "t", event: "x", payload: {}, ref: "1", join_ref: null });
    expect(t.sent).toEqual(["E:x"]);
  });

  it("socket.decode replaced after construction is used", () => {
    const { socket, t } = manualSocket(impl);
    socket.decode = (raw: any, cb: any) => cb({ join_ref: null, ref: null, topic: "t", event: raw, payload: {} });
    const m = vi.fn(); socket.onMessage(m);
    t.onmessage!({ data: "zz" });
    expect(m.mock.calls[0][0].event).toBe("zz");
  });

  it("socket.timeout changed after construction is used by new channels", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    socket.timeout = 5;
    expect(socket.channel("a").timeout).toBe(5);
  });

  it("socket.heartbeatIntervalMs changed after construction is used", () => {
    vi.useFakeTimers();
    const socket = new impl.Socket("ws://h/socket", { transport: ManualTransport });
    socket.heartbeatIntervalMs = 50;
    socket.connect(); lastTransport().open();
    vi.advanceTimersByTime(50);
    expect(lastTransport().frames()).toHaveLength(1);
  });

  it("channel.timeout changed after join is used by pushes", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    ch.timeout = 1234;
    expect(ch.push("x", {}).timeout).toBe(1234);
  });

  it("socket.params reassigned to a function is used at next connect", () => {
    const socket = new impl.Socket("ws://h/socket", { transport: ManualTransport });
    socket.params = () => ({ z: "1" });
    socket.connect();
    expect(lastTransport().url).toContain("z=1");
  });

  it("socket.endPoint reassigned is used at the next connect", () => {
    const socket = new impl.Socket("ws://h/socket", { transport: ManualTransport });
    socket.endPoint = "ws://other/x/websocket";
    socket.connect();
    expect(lastTransport().url).toBe("ws://other/x/websocket?vsn=2.0.0");
  });

  it("socket.transport reassigned is used at next connect", () => {
    const socket = new impl.Socket("ws://h/socket", { transport: ManualTransport });
    class Other extends ManualTransport {}
    socket.transport = Other;
    socket.connect();
    expect(lastTransport()).toBeInstanceOf(Other);
  });

  it("socket.logger set after construction is used", () => {
    const { socket } = manualSocket(impl);
    const logger = vi.fn();
    socket.logger = logger;
    socket.push({ topic: "t", event: "x", payload: {}, ref: "1", join_ref: null });
    expect(logger).toHaveBeenCalled();
  });
});
