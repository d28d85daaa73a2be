/**
 * Differential: pushes, joins and heartbeats across drops, failed attempts and reconnects, run
 * against phoenix.js 1.8.16 (the oracle) and ours with the same expectations.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import { BrowserLikeTransport, IMPLS, ManualTransport, joinOk, lastTransport, manualSocket, useCompatCleanup } from "./impls";

useCompatCleanup();

/** The events sent on `t` (to `topic` only, if given). */
const ev = (t: ManualTransport, topic?: string): string[] => t.frames().filter((f) => !topic || f[2] === topic).map((f) => f[3]);

describe.each(IMPLS)("Across drops and reconnects (%s)", (_name, impl) => {
  it("a push in flight still times out after the socket drops", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { reconnectAfterMs: () => 100000 });
    const ch = socket.channel("a"); joinOk(ch, t);
    const to = vi.fn();
    ch.push("x", {}, 500).receive("timeout", to);
    t.drop();
    vi.advanceTimersByTime(500);
    expect(to).toHaveBeenCalledTimes(1);
  });

  it("a push made while errored is sent after the reconnect and rejoin, with the new join ref", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    t.drop();
    const ok = vi.fn();
    const p = ch.push("x", { n: 1 }).receive("ok", ok);
    vi.advanceTimersByTime(10);
    const t2 = lastTransport(); t2.open();
    const j = t2.frames().find((f) => f[3] === "phx_join")!;
    t2.receive(j[0], j[1], "a", "phx_reply", { status: "ok", response: {} });
    const f = t2.frames().find((f) => f[3] === "x")!;
    expect(f[0]).toBe(ch.joinRef());
    expect(f[1]).toBe(p.ref);
    t2.receive(f[0], f[1], "a", "phx_reply", { status: "ok", response: { done: 1 } });
    expect(ok).toHaveBeenCalledWith({ done: 1 });
  });

  it("a dropped connection forgets the pending heartbeat", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(100);
    expect(socket.pendingHeartbeatRef).not.toBeNull();
    t.drop();
    expect(socket.pendingHeartbeatRef).toBeNull();
  });

  it("failed connection attempts error a joining channel once, and it joins when a connection opens", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, {}, false);
    const ch = socket.channel("a");
    const onErr = vi.fn(); ch.onError(onErr);
    ch.join();
    t.drop();
    expect(ch.state).toBe("errored");
    vi.advanceTimersByTime(10);
    lastTransport().drop();
    vi.advanceTimersByTime(50);
    lastTransport().drop();
    expect(onErr).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    const t4 = lastTransport(); t4.open();
    expect(ev(t4, "a")).toEqual(["phx_join"]);
  });

  it("a join made before connect() is sent once after disconnect() and connect() before the open", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, {}, false);
    const ch = socket.channel("a");
    ch.join();
    socket.disconnect();
    socket.connect();
    const t2 = lastTransport(); t2.open();
    expect(ev(t2, "a")).toEqual(["phx_join"]);
  });

  it("an error reply to the heartbeat still counts as an answer", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(100);
    t.receive(null, socket.pendingHeartbeatRef, "phoenix", "phx_reply", { status: "error", response: {} });
    expect(socket.pendingHeartbeatRef).toBeNull();
  });

  it("onMessage callbacks see heartbeat replies", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    const m = vi.fn(); socket.onMessage(m);
    vi.advanceTimersByTime(100);
    const ref = socket.pendingHeartbeatRef;
    t.receive(null, ref, "phoenix", "phx_reply", { status: "ok", response: {} });
    expect(m).toHaveBeenCalledWith({ join_ref: null, ref, topic: "phoenix", event: "phx_reply", payload: { status: "ok", response: {} } });
  });

  it("a join buffered while connecting is sent once on open and the channel stays joining", () => {
    const { socket } = manualSocket(impl, {}, false);
    const ch = socket.channel("a");
    ch.join();
    const t = lastTransport(); t.open();
    expect(ev(t, "a")).toEqual(["phx_join"]);
    expect(ch.state).toBe("joining");
  });

  it("a late reply to an earlier join is ignored after a rejoin", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    ch.join();
    const old = t.frames()[0]!;
    t.receive(old[0], old[1], "a", "phx_reply", { status: "error", response: {} });
    vi.advanceTimersByTime(1000);
    const ok = vi.fn();
    ch.joinPush.receive("ok", ok);
    t.receive(old[0], old[1], "a", "phx_reply", { status: "ok", response: {} });
    expect(ch.state).toBe("joining");
    expect(ok).not.toHaveBeenCalled();
  });

  it("messages for the current join are delivered before the join reply", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    const cb = vi.fn(); ch.on("e", cb);
    ch.join();
    t.receive(ch.joinRef(), null, "a", "e", { x: 1 });
    expect(cb).toHaveBeenCalled();
  });

  it("a push reply that arrives after the channel errored still reaches the push", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const ok = vi.fn();
    const p = ch.push("x", {}).receive("ok", ok);
    ch.trigger("phx_error", {});
    t.receive(ch.joinRef(), p.ref, "a", "phx_reply", { status: "ok", response: {} });
    expect(ok).toHaveBeenCalledTimes(1);
  });

  it("a second phx_close from the server does not call onClose again", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const cb = vi.fn(); ch.onClose(cb);
    t.receive(ch.joinRef(), null, "a", "phx_close", {});
    t.receive(ch.joinRef(), null, "a", "phx_close", {});
    expect(cb).toHaveBeenCalledTimes(1);
  });
  it("push.trigger() with a custom status reaches receive() hooks of that status", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const cb = vi.fn();
    const p = ch.push("x", {}).receive("custom", cb);
    p.trigger("custom", { z: 1 });
    expect(cb).toHaveBeenCalledWith({ z: 1 });
  });

  it("a server reply with a custom status reaches receive() hooks of that status", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    const cb = vi.fn();
    const p = ch.push("x", {}).receive("custom", cb);
    t.receive(ch.joinRef(), p.ref, "a", "phx_reply", { status: "custom", response: 5 });
    expect(cb).toHaveBeenCalledWith(5);
  });

  it("buffered pushes survive a join error and go out after the rejoin", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 600000 });
    const ch = socket.channel("a");
    ch.join();
    ch.push("x", { n: 1 }, 60000);
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "a", "phx_reply", { status: "error", response: {} });
    expect(ch.pushBuffer).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    const g = t.frames().pop()!;
    t.receive(g[0], g[1], "a", "phx_reply", { status: "ok", response: {} });
    expect(t.frames().map((x) => x[3])).toEqual(["phx_join", "phx_join", "x"]);
  });

  it("after a drop only the reconnect timer is pending", () => {
    vi.useFakeTimers();
    const { t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(100);
    t.drop();
    expect(vi.getTimerCount()).toBe(1);
  });

  it("leave() leaves no channel timers behind (only the socket's heartbeat and the earlier push's timeout)", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    ch.push("x", {});
    const before = vi.getTimerCount();
    ch.leave();
    expect([before, vi.getTimerCount()]).toEqual([2, 2]);
  });

  it("a channel that left, then disconnect(): nothing stays scheduled", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    ch.leave();
    socket.disconnect();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("disconnect() cancels a pending rejoin: nothing stays scheduled", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    ch.join();
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "a", "phx_reply", { status: "error", response: {} });
    socket.disconnect();
    vi.advanceTimersByTime(1000);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("a buffered push and the join time out independently", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, { heartbeatIntervalMs: 600000 });
    const ch = socket.channel("a");
    ch.join(300);
    const pto = vi.fn();
    ch.push("x", {}, 200).receive("timeout", pto);
    vi.advanceTimersByTime(200);
    expect(pto).toHaveBeenCalledTimes(1);
    expect(ch.state).toBe("joining");
    vi.advanceTimersByTime(100);
    expect(ch.state).toBe("errored");
  });

  it("leave() keeps the channel's bindings", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    ch.on("e", () => {});
    ch.leave();
    expect(ch.bindings.filter((b: any) => b.event === "e")).toHaveLength(1);
  });
});

describe.each(IMPLS)("Socket and channel calls made from callbacks (%s)", (_name, impl) => {
  it("disconnect() inside onClose after a drop stops reconnecting", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    socket.onClose(() => socket.disconnect());
    t.drop();
    vi.advanceTimersByTime(10000);
    expect(ManualTransport.instances).toHaveLength(1);
  });

  it("disconnect() inside onOpen closes the new connection", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, {}, false);
    socket.onOpen(() => socket.disconnect());
    t.open();
    vi.advanceTimersByTime(1000);
    expect(t.closed).toHaveLength(1);
    expect(socket.isConnected()).toBe(false);
    vi.advanceTimersByTime(10000);
    expect(ManualTransport.instances).toHaveLength(1);
  });

  it("disconnect() inside onError stops reconnecting", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    socket.onError(() => socket.disconnect());
    t.onerror!({});
    t.drop();
    vi.advanceTimersByTime(10000);
    expect(ManualTransport.instances).toHaveLength(1);
  });

  it("mutating a buffered push payload before the join completes sends the mutated object", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    ch.join();
    const payload: any = { n: 1 };
    ch.push("x", payload);
    payload.n = 2;
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "a", "phx_reply", { status: "ok", response: {} });
    expect(t.frames().pop()![4]).toEqual({ n: 2 });
  });

  it("channel.leave() inside its own onError closes it for good", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    ch.onError(() => ch.leave());
    t.drop();
    expect(ch.state).toBe("closed");
    vi.advanceTimersByTime(10);
    lastTransport().open();
    expect(lastTransport().frames()).toEqual([]);
  });

  it("socket.disconnect() inside a channel's onClose during leave() still sends the leave", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    ch.onClose(() => socket.disconnect());
    ch.leave();
    expect(t.frames().map((f) => f[3])).toEqual(["phx_join", "phx_leave"]);
    expect(t.closed).toHaveLength(1);
  });

  it("join() inside onOpen sends the join on that connection", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const ch = socket.channel("a");
    socket.onOpen(() => { if (!ch.joinedOnce) ch.join(); });
    t.open();
    expect(t.frames().map((f) => f[3])).toEqual(["phx_join"]);
  });

  it("a heartbeat timeout whose channel onError disconnects does not reconnect", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    const ch = socket.channel("a"); joinOk(ch, t);
    ch.onError(() => socket.disconnect());
    vi.advanceTimersByTime(200);
    vi.advanceTimersByTime(5000);
    expect(ManualTransport.instances).toHaveLength(1);
  });

  it("ping() while a heartbeat is pending uses its own ref and leaves the heartbeat pending", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(100);
    const hb = socket.pendingHeartbeatRef;
    const cb = vi.fn();
    socket.ping(cb);
    const pref = t.frames().pop()![1];
    expect(pref).not.toBe(hb);
    t.receive(null, pref, "phoenix", "phx_reply", { status: "ok", response: {} });
    expect(cb).toHaveBeenCalled();
    expect(socket.pendingHeartbeatRef).toBe(hb);
  });

  it("a ping reply arriving on a later connection does not call the ping back", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const cb = vi.fn();
    socket.ping(cb);
    const pref = t.frames().pop()![1];
    t.drop();
    vi.advanceTimersByTime(10);
    const t2 = lastTransport(); t2.open();
    t2.receive(null, pref, "phoenix", "phx_reply", { status: "ok", response: {} });
    expect(cb).not.toHaveBeenCalled();
  });

  it("a heartbeat timeout over a browser-like transport reconnects exactly once", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl, { transport: BrowserLikeTransport, heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(200);
    vi.advanceTimersByTime(3000);
    expect(ManualTransport.instances).toHaveLength(2);
  });

  it("disconnect() while connecting leaves a joining channel joining (no onError)", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, {}, false);
    const ch = socket.channel("a");
    ch.join();
    socket.disconnect();
    expect(ch.state).toBe("joining");
  });

  it("a join that timed out while connecting sends no stale phx_leave on open, only the new join", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, {}, false);
    const ch = socket.channel("a");
    const to = vi.fn();
    ch.join(1000).receive("timeout", to);
    vi.advanceTimersByTime(1000);
    expect(to).toHaveBeenCalledTimes(1);
    expect(ch.state).toBe("errored");
    const t = lastTransport(); t.open();
    const frames = t.frames().filter((f) => f[2] === "a");
    expect(frames.map((f) => f[3])).toEqual(["phx_join"]);
    expect(frames[0]![0]).toBe(ch.joinRef());
  });

  it("a heartbeat timeout reconnects after reconnectAfterMs(1) when the transport closes at once", () => {
    vi.useFakeTimers();
    manualSocket(impl, { heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(200);
    vi.advanceTimersByTime(9);
    expect(ManualTransport.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(ManualTransport.instances).toHaveLength(2);
  });

  it("a heartbeat timeout counts one reconnect try", () => {
    vi.useFakeTimers();
    const { socket } = manualSocket(impl, { heartbeatIntervalMs: 100 });
    vi.advanceTimersByTime(210);
    expect(socket.reconnectTimer.tries).toBe(1);
  });

  it("on a drop, channels error before onClose callbacks run", () => {
    const { socket, t } = manualSocket(impl);
    const order: string[] = [];
    const ch = socket.channel("a");
    joinOk(ch, t);
    ch.onError(() => order.push("channel error"));
    socket.onClose(() => order.push("socket close"));
    t.drop();
    expect(order).toEqual(["channel error", "socket close"]);
  });

  it("on a transport error, onError callbacks run before channels error", () => {
    const { socket, t } = manualSocket(impl);
    const order: string[] = [];
    const ch = socket.channel("a");
    joinOk(ch, t);
    ch.onError(() => order.push("channel error"));
    socket.onError(() => order.push("socket error"));
    t.onerror!({});
    expect(order).toEqual(["socket error", "channel error"]);
  });

  it("on open, buffered sends go out before onOpen callbacks run", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const order: string[] = [];
    socket.push({ topic: "t", event: "buffered", payload: {}, ref: "1", join_ref: null });
    socket.onOpen(() => order.push(`onOpen sent=${t.sent.length}`));
    t.open();
    expect(order).toEqual(["onOpen sent=1"]);
  });
});
