/**
 * Cases the differential suite first found as divergences (divergences.pending.ts) and that
 * now behave as phoenix.js 1.8.16 does: dispatch that follows `socket.channels` edited by hand,
 * callback lists snapshotted per dispatch, heartbeats sent by hand, spy-visible internal calls.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import { IMPLS, ManualTransport, joinOk, lastTransport, manualSocket, useCompatCleanup } from "./impls";

useCompatCleanup();

describe.each(IMPLS)("Internals edited by hand (%s)", (_name, impl) => {
  it("a channel pushed into socket.channels by hand receives messages", () => {
    const { socket, t } = manualSocket(impl);
    const ch = new impl.Channel("manual", {}, socket);
    socket.channels.push(ch);
    const cb = vi.fn(); ch.on("e", cb);
    t.receive(null, null, "manual", "e", {});
    expect(cb).toHaveBeenCalledTimes(1);
  });

  it("a channel spliced out of socket.channels stops receiving", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    const cb = vi.fn(); ch.on("e", cb);
    socket.channels.splice(0, 1);
    t.receive(null, null, "a", "e", {});
    expect(cb).not.toHaveBeenCalled();
  });

  it("an onOpen callback added during an open is not called for that open", () => {
    const { socket, t } = manualSocket(impl, {}, false);
    const added = vi.fn();
    socket.onOpen(() => socket.onOpen(added));
    t.open();
    expect(added).not.toHaveBeenCalled();
  });

  it("isMember() goes through channel.joinRef(), so stubbing it changes which messages are dropped", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a"); joinOk(ch, t);
    vi.spyOn(ch, "joinRef").mockReturnValue("zzz");
    const cb = vi.fn(); ch.on("e", cb);
    t.receive(ch.joinPush.ref, null, "a", "e", {});
    expect(cb).not.toHaveBeenCalled();
  });

  it("join() calls socket.leaveOpenTopic(topic) with the topic only", () => {
    const { socket } = manualSocket(impl);
    const spy = vi.spyOn(socket, "leaveOpenTopic");
    socket.channel("a").join();
    expect(spy).toHaveBeenCalledWith("a");
  });

  it("sendHeartbeat() while one is pending on a connected socket sends another and keeps the connection", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    socket.sendHeartbeat();
    const first = socket.pendingHeartbeatRef;
    socket.sendHeartbeat();
    expect(t.frames().map((f) => f[3])).toEqual(["heartbeat", "heartbeat"]);
    expect(socket.pendingHeartbeatRef).not.toBe(first);
    expect(t.closed).toEqual([]);
  });

  it("socket.channels = [] stops delivery to the channels", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("a");
    const cb = vi.fn(); ch.on("e", cb);
    socket.channels = [];
    t.receive(null, null, "a", "e", {});
    expect(cb).not.toHaveBeenCalled();
  });
});

describe.each(IMPLS)("Serializer statics (%s)", (_name, impl) => {
  it("the Serializer exposes HEADER_LENGTH, META_LENGTH, KINDS, binaryEncode and binaryDecode", () => {
    const S = impl.Serializer;
    expect([S.HEADER_LENGTH, S.META_LENGTH, S.KINDS]).toEqual([1, 4, { push: 0, reply: 1, broadcast: 2 }]);
    expect(typeof S.binaryEncode).toBe("function");
    expect(typeof S.binaryDecode).toBe("function");
  });
});

describe.each(IMPLS)("Presence state and callbacks (%s)", (_name, impl) => {
  it("Presence.syncDiff on a plain object returns a new object and leaves the given one's keys alone", () => {
    const state: Record<string, unknown> = { u1: { metas: [{ phx_ref: "1" }] } };
    const next = impl.Presence.syncDiff(state, { joins: { u2: { metas: [{ phx_ref: "2" }] } }, leaves: { u1: { metas: [{ phx_ref: "1" }] } } });
    expect(next).not.toBe(state);
    expect(Object.keys(state)).toEqual(["u1"]);
    expect(Object.keys(next)).toEqual(["u2"]);
  });

  it("Presence.syncDiff on a plain object returns a state without a prototype", () => {
    const state = impl.Presence.syncDiff({}, { joins: { u1: { metas: [{ phx_ref: "1" }] } }, leaves: {} });
    expect(Object.getPrototypeOf(state)).toBeNull();
  });

  it("a Presence instance keeps its callbacks in presence.caller {onJoin, onLeave, onSync}", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const presence = new impl.Presence(socket.channel("x"));
    const onSync = (): void => {};
    presence.onSync(onSync);
    expect(Object.keys(presence.caller).sort()).toEqual(["onJoin", "onLeave", "onSync"]);
    expect(presence.caller.onSync).toBe(onSync);
  });

  it("presence.state is the presence state object ({key: {metas}})", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("p");
    const pr = new impl.Presence(ch);
    joinOk(ch, t);
    t.receive(ch.joinRef(), null, "p", "presence_state", { u1: { metas: [{ phx_ref: "1" }] } });
    expect(JSON.parse(JSON.stringify(pr.state))).toEqual({ u1: { metas: [{ phx_ref: "1" }] } });
  });
});

describe.each(IMPLS)("Channels created during delivery (%s)", (_name, impl) => {
  it("a channel created by a binding during delivery also gets that message", () => {
    const { socket, t } = manualSocket(impl);
    const a = socket.channel("a");
    const got = vi.fn();
    a.on("e", () => {
      const b = socket.channel("a");
      b.on("e", got);
    });
    t.receive(null, null, "a", "e", {});
    expect(got).toHaveBeenCalledTimes(1);
  });
});

describe.each(IMPLS)("Reply bindings listed in channel.bindings (%s)", (_name, impl) => {
  /** phoenix.js's suite style: isConnected and push stubbed, fake timers, the join push answered by hand. */
  function joining(): { channel: any; joinPush: any; replyBindings: (ref: string) => any[] } {
    vi.useFakeTimers();
    const socket = new impl.Socket("/socket", { timeout: 1000, transport: ManualTransport });
    vi.spyOn(socket, "isConnected").mockReturnValue(true);
    vi.spyOn(socket, "push").mockImplementation(() => true);
    const channel = socket.channel("topic", { one: "two" });
    channel.join();
    return {
      channel,
      joinPush: channel.joinPush,
      replyBindings: (ref) => channel.bindings.filter((b: any) => b.event === `chan_reply_${ref}`),
    };
  }

  it("the waiting join has a chan_reply_3 entry, gone after an ok", () => {
    const { joinPush, replyBindings } = joining();
    expect(replyBindings("3")).toHaveLength(1);
    vi.advanceTimersByTime(500);
    joinPush.trigger("ok", {});
    expect(replyBindings("3")).toHaveLength(0);
  });

  it("the waiting join's entry is gone after an error", () => {
    const { joinPush, replyBindings } = joining();
    joinPush.trigger("error", {});
    expect(replyBindings("3")).toHaveLength(0);
  });

  it("the waiting join's entry is gone after a timeout", () => {
    const { replyBindings } = joining();
    vi.advanceTimersByTime(2000);
    expect(replyBindings("3")).toHaveLength(0);
  });

  it("a waiting push has a chan_reply_<ref> entry; its callback answers the push", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    const push = channel.push("evt", {});
    const ok = vi.fn();
    push.receive("ok", ok);
    const entry = channel.bindings.find((b: any) => b.event === push.refEvent);
    expect(entry).toBeDefined();
    entry.callback({ status: "ok", response: { n: 1 } });
    expect(ok).toHaveBeenCalledWith({ n: 1 });
  });

  it("assigning channel.bindings keeps the binding count the app sees", () => {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:1");
    joinOk(channel, t);
    channel.on("a", () => {});
    channel.push("evt", {});
    const before = channel.bindings.length;
    channel.bindings = channel.bindings.filter((b: any) => b.event !== "a");
    expect(channel.bindings.length).toBe(before - 1);
  });
});
