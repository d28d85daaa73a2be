/**
 * Differential: scenarios written the way phoenix.js-based unit suites write them (assigning
 * internals, spying on methods, calling handlers directly), run against phoenix.js 1.8.16
 * (the oracle) and ours with the same expectations.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import { IMPLS, ManualTransport, joinOk, lastTransport, manualSocket, useCompatCleanup } from "./impls";

useCompatCleanup();

describe.each(IMPLS)("Socket, suite style (%s)", (_name, impl) => {
  it("connect() goes through transportConnect()", () => {
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport });
    const spy = vi.spyOn(socket, "transportConnect");
    socket.connect();
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("flushSendBuffer() runs callbacks put in sendBuffer by hand, then empties it", () => {
    const { socket } = manualSocket(impl);
    const a = vi.fn();
    const b = vi.fn();
    socket.sendBuffer.push(a, b);
    socket.flushSendBuffer();
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);
    expect(socket.sendBuffer).toEqual([]);
  });

  it("onConnOpen() runs callbacks put in sendBuffer by hand", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const a = vi.fn();
    socket.sendBuffer.push(a);
    t.readyState = 1;
    socket.onConnOpen();
    expect(a).toHaveBeenCalledTimes(1);
  });

  it("an unclean close schedules the reconnect timer", () => {
    const { socket, t } = manualSocket(impl);
    const spy = vi.spyOn(socket.reconnectTimer, "scheduleTimeout");
    t.drop();
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("a close after disconnect() does not schedule the reconnect timer", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const spy = vi.spyOn(socket.reconnectTimer, "scheduleTimeout");
    socket.disconnect();
    t.drop(1000);
    expect(spy).not.toHaveBeenCalled();
  });

  it("a successful open resets the reconnect timer", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const spy = vi.spyOn(socket.reconnectTimer, "reset");
    t.open();
    expect(spy).toHaveBeenCalled();
  });

  it("joining while disconnected buffers the join in sendBuffer", () => {
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    channel.join();
    expect(socket.sendBuffer).toHaveLength(1);
  });

  it("socket.push spy with mockImplementation stops frames from being written", () => {
    const { socket, t } = manualSocket(impl);
    vi.spyOn(socket, "push").mockImplementation(() => {});
    const channel = socket.channel("room:1");
    channel.join();
    expect(t.sent).toEqual([]);
  });

  it("socket.isConnected stubbed to false makes channel pushes buffer", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    vi.spyOn(socket, "isConnected").mockReturnValue(false);
    channel.push("x", {});
    expect(channel.pushBuffer).toHaveLength(1);
  });

  it("makeRef spied on sees the refs of joins and pushes", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    const spy = vi.spyOn(socket, "makeRef");
    joinOk(channel, t);
    const push = channel.push("x", {});
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.results.map((r) => r.value)).toEqual([channel.joinRef(), push.ref]);
  });

  it("conn.onmessage({data}) delivers to channel bindings", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const cb = vi.fn();
    channel.on("evt", cb);
    socket.conn.onmessage({ data: JSON.stringify([null, null, "room:1", "evt", { v: 1 }]) });
    expect(cb).toHaveBeenCalledWith({ v: 1 }, null, channel.joinRef());
  });

  it("conn.onclose(event) errors joined channels", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    t.readyState = 3;
    socket.conn.onclose({ code: 1006 });
    expect(channel.state).toBe("errored");
  });

  it("sets callbacks for connection: onopen, onclose, onerror and onmessage called by hand, in that order", () => {
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport });
    let opens = 0;
    let closes = 0;
    let lastError: unknown;
    let lastMessage: unknown;
    socket.onOpen(() => ++opens);
    socket.onClose(() => ++closes);
    socket.onError((error: unknown) => (lastError = error));
    socket.onMessage((message: any) => (lastMessage = message.payload));
    socket.connect();
    socket.conn.onopen();
    expect(opens).toBe(1);
    // The transport that closed stays in socket.conn, with its handlers.
    socket.conn.onclose();
    expect(closes).toBe(1);
    socket.conn.onerror("error");
    expect(lastError).toBe("error");
    socket.conn.onmessage({ data: JSON.stringify([null, null, "topic", "event", "payload"]) });
    expect(lastMessage).toBe("payload");
  });

  it("after a drop, socket.conn is the closed transport until the reconnect replaces it", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    t.drop();
    expect(socket.conn).toBe(t);
    expect(socket.isConnected()).toBe(false);
    expect(socket.connectionState()).toBe("closed");
    vi.advanceTimersByTime(10);
    expect(socket.conn).not.toBe(t);
    expect(socket.conn).toBe(lastTransport());
  });

  it("disconnect() after a drop clears socket.conn and closes nothing more", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    t.drop();
    const done = vi.fn();
    socket.disconnect(done);
    vi.advanceTimersByTime(2000);
    expect(done).toHaveBeenCalledTimes(1);
    expect(socket.conn).toBeNull();
    vi.advanceTimersByTime(10_000);
    expect(ManualTransport.instances).toHaveLength(1);
  });

  it("conn.onerror(error) calls onError callbacks", () => {
    const { socket } = manualSocket(impl);
    const cb = vi.fn();
    socket.onError(cb);
    socket.conn.onerror("boom");
    expect(cb.mock.calls[0]![0]).toBe("boom");
  });

  it("clearHeartbeats() forgets the pending heartbeat and cancels its timers", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(100);
    expect(socket.pendingHeartbeatRef).not.toBeNull();
    socket.clearHeartbeats();
    expect(socket.pendingHeartbeatRef).toBeNull();
    vi.advanceTimersByTime(1000);
    expect(t.closed).toEqual([]);
    expect(t.frames()).toHaveLength(1);
  });

  it("resetHeartbeat() schedules the next heartbeat heartbeatIntervalMs from now", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(60);
    socket.resetHeartbeat();
    vi.advanceTimersByTime(99);
    expect(t.frames()).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(t.frames()).toHaveLength(1);
  });

  it("disconnect() leaves no timers behind", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const cb = vi.fn();
    socket.disconnect(cb);
    vi.advanceTimersByTime(5000);
    expect(cb).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reconnects with the params function's current value", () => {
    vi.useFakeTimers();
    let token = "a";
    const { t } = manualSocket(impl, { params: () => ({ token }) });
    expect(t.url).toContain("token=a");
    token = "b";
    t.drop();
    vi.advanceTimersByTime(10);
    expect(lastTransport().url).toContain("token=b");
  });

  it("a binding added while an event is delivered is not called for that event; one removed still is", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const channel = socket.channel("room:1");
    const late = vi.fn();
    const removed = vi.fn();
    let removedRef = -1;
    channel.on("evt", () => {
      channel.on("evt", late);
      channel.off("evt", removedRef);
    });
    removedRef = channel.on("evt", removed);
    channel.trigger("evt", {});
    expect(late).not.toHaveBeenCalled();
    expect(removed).toHaveBeenCalledTimes(1);
    channel.trigger("evt", {});
    expect(late).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledTimes(1);
  });

  it("after leave(), messages for the topic no longer reach the channel", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const cb = vi.fn();
    channel.on("evt", cb);
    channel.leave();
    t.receive(null, null, "room:1", "evt", {});
    expect(cb).not.toHaveBeenCalled();
  });

  it("a leave reply from the server after leave() changes nothing", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const onClose = vi.fn();
    channel.onClose(onClose);
    const leave = channel.leave();
    t.receive(channel.joinRef(), leave.ref, "room:1", "phx_reply", { status: "ok", response: {} });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(channel.state).toBe("closed");
  });

  it("a channel created again for a topic after leave() joins normally", () => {
    const { socket, t } = manualSocket(impl);
    const first = socket.channel("room:1");
    joinOk(first, t);
    first.leave();
    const second = socket.channel("room:1");
    joinOk(second, t);
    expect(second.state).toBe("joined");
    expect(socket.channels).toEqual([second]);
  });

  it("the join ok resets the rejoin timer tries", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    channel.join();
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "room:1", "phx_reply", { status: "error", response: {} });
    vi.advanceTimersByTime(1000);
    expect(channel.rejoinTimer.tries).toBe(1);
    const g = t.frames().pop()!;
    t.receive(g[0], g[1], "room:1", "phx_reply", { status: "ok", response: {} });
    expect(channel.rejoinTimer.tries).toBe(0);
    expect(channel.state).toBe("joined");
  });

  it("a join error while the socket is down does not schedule a rejoin", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { reconnectAfterMs: () => 100000 });
    const channel = socket.channel("room:1");
    channel.join();
    const f = t.frames()[0]!;
    t.readyState = 3;
    t.receive(f[0], f[1], "room:1", "phx_reply", { status: "error", response: {} });
    vi.advanceTimersByTime(20000);
    expect(t.frames()).toHaveLength(1);
    expect(channel.state).toBe("errored");
  });
});

describe.each(IMPLS)("Spies on internal methods see every call (%s)", (_name, impl) => {
  it("a spy on onConnMessage installed after connect() sees each message", () => {
    const { socket, t } = manualSocket(impl);
    const spy = vi.spyOn(socket, "onConnMessage");
    t.receive(null, null, "x", "e", {});
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("a spy on onConnClose installed after connect() sees the close", () => {
    const { socket, t } = manualSocket(impl);
    const spy = vi.spyOn(socket, "onConnClose");
    t.drop();
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("a spy on onConnOpen installed after connect() sees the open", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const spy = vi.spyOn(socket, "onConnOpen");
    t.open();
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("a spy on onConnError installed after connect() sees the error", () => {
    const { socket, t } = manualSocket(impl);
    const spy = vi.spyOn(socket, "onConnError");
    t.onerror!("x");
    expect(spy).toHaveBeenCalledWith("x");
  });

  it("the heartbeat timer goes through sendHeartbeat()", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    const spy = vi.spyOn(socket, "sendHeartbeat");
    vi.advanceTimersByTime(100);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("the missed heartbeat goes through heartbeatTimeout()", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    const spy = vi.spyOn(socket, "heartbeatTimeout");
    vi.advanceTimersByTime(200);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("an open goes through flushSendBuffer() and resetHeartbeat()", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const a = vi.spyOn(socket, "flushSendBuffer");
    const b = vi.spyOn(socket, "resetHeartbeat");
    t.open();
    expect([a.mock.calls.length, b.mock.calls.length]).toEqual([1, 1]);
  });

  it("disconnect(callback, code, reason) goes through teardown(callback, code, reason)", () => {
    const { socket } = manualSocket(impl);
    const spy = vi.spyOn(socket, "teardown");
    const cb = () => {};
    socket.disconnect(cb, 1000, "r");
    expect(spy).toHaveBeenCalledWith(cb, 1000, "r");
  });

  it("disconnect() resets the reconnect timer", () => {
    const { socket } = manualSocket(impl);
    const spy = vi.spyOn(socket.reconnectTimer, "reset");
    socket.disconnect();
    expect(spy).toHaveBeenCalled();
  });

  it("a close goes through triggerChanError()", () => {
    const { socket, t } = manualSocket(impl);
    const spy = vi.spyOn(socket, "triggerChanError");
    t.drop();
    expect(spy).toHaveBeenCalled();
  });

  it("an errored channel rejoins through channel.rejoin() when the socket opens", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    t.drop();
    const spy = vi.spyOn(ch, "rejoin");
    vi.advanceTimersByTime(10);
    lastTransport().open();
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("a rejoin goes through joinPush.resend() and joinPush.send()", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    t.drop();
    const rs = vi.spyOn(ch.joinPush, "resend");
    const s = vi.spyOn(ch.joinPush, "send");
    vi.advanceTimersByTime(10);
    lastTransport().open();
    expect([rs.mock.calls.length, s.mock.calls.length]).toEqual([1, 1]);
  });

  it("a join error goes through rejoinTimer.scheduleTimeout()", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    const spy = vi.spyOn(ch.rejoinTimer, "scheduleTimeout");
    ch.join();
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "a", "phx_reply", { status: "error", response: {} });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("a closing channel goes through socket.remove(channel)", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const spy = vi.spyOn(socket, "remove");
    ch.leave();
    expect(spy).toHaveBeenCalledWith(ch);
  });

  it("a transport close reaches channels through channel.trigger('phx_error', ...)", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const spy = vi.spyOn(ch, "trigger");
    t.drop();
    expect(spy).toHaveBeenCalledWith("phx_error", expect.objectContaining({ source: "transport" }));
  });

  it("buffered pushes are flushed through push.send()", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    ch.join();
    const p = ch.push("x", {});
    const spy = vi.spyOn(p, "send");
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "a", "phx_reply", { status: "ok", response: {} });
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("channel.push() consults socket.isConnected()", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const spy = vi.spyOn(socket, "isConnected");
    ch.push("x", {});
    expect(spy).toHaveBeenCalled();
  });

  it("channel.push() consults channel.canPush()", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const spy = vi.spyOn(ch, "canPush").mockReturnValue(false);
    ch.push("x", {});
    expect(spy).toHaveBeenCalled();
    expect(ch.pushBuffer).toHaveLength(1);
  });

  it("inbound messages consult channel.isMember()", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    const spy = vi.spyOn(ch, "isMember").mockReturnValue(false);
    const cb = vi.fn(); ch.on("e", cb);
    t.receive(null, null, "a", "e", {});
    expect(spy).toHaveBeenCalled();
    expect(cb).not.toHaveBeenCalled();
  });

  it("a Channel built with new and joined gets no replies (it is not registered)", () => {
    const { socket, t } = manualSocket(impl);
    const ch = new impl.Channel("man", {}, socket);
    ch.join();
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "man", "phx_reply", { status: "ok", response: {} });
    expect(ch.state).toBe("joining");
  });

  it("the leave push goes through socket.push with the join ref", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const spy = vi.spyOn(socket, "push");
    ch.leave();
    expect(spy.mock.calls[0][0]).toEqual({ topic: "a", event: "phx_leave", payload: {}, ref: expect.any(String), join_ref: ch.joinRef() });
  });
});
