/**
 * Differential: Presence, static (syncState / syncDiff / list) and bound to a channel, run
 * against phoenix.js 1.8.16 (the oracle) and ours with the same expectations. Callback
 * arguments are snapshotted at call time, since later syncs may change the objects.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import { IMPLS, ManualTransport, joinOk, lastTransport, manualSocket, useCompatCleanup } from "./impls";

useCompatCleanup();

const snap = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/** Records onJoin/onLeave calls in order, with their arguments as they were at call time. */
function recorder(): { calls: unknown[]; onJoin: (...a: unknown[]) => void; onLeave: (...a: unknown[]) => void } {
  const calls: unknown[] = [];
  return {
    calls,
    onJoin: (key, current, joined) => calls.push(["join", key, snap(current), snap(joined)]),
    onLeave: (key, current, left) => calls.push(["leave", key, snap(current), snap(left)]),
  };
}

const fixtures = {
  joins: { u1: { metas: [{ id: 1, phx_ref: "1" }] } },
  leaves: { u2: { metas: [{ id: 2, phx_ref: "2" }] } },
  state: {
    u1: { metas: [{ id: 1, phx_ref: "1" }] },
    u2: { metas: [{ id: 2, phx_ref: "2" }] },
    u3: { metas: [{ id: 3, phx_ref: "3" }] },
  },
};

describe.each(IMPLS)("Presence.syncState (%s)", (_name, impl) => {
  const P = impl.Presence;

  it("adds every key of the first state and calls onJoin with no current presence", () => {
    const r = recorder();
    const state = P.syncState({}, plain(fixtures.state), r.onJoin, r.onLeave);
    expect(plain(state)).toEqual(fixtures.state);
    expect(r.calls).toEqual([
      ["join", "u1", undefined, fixtures.state.u1],
      ["join", "u2", undefined, fixtures.state.u2],
      ["join", "u3", undefined, fixtures.state.u3],
    ]);
  });

  it("removes keys missing from the new state and calls onLeave with what is left and what left", () => {
    const r = recorder();
    const state = P.syncState(plain(fixtures.state), { u1: plain(fixtures.state.u1), u3: plain(fixtures.state.u3) }, r.onJoin, r.onLeave);
    expect(plain(state)).toEqual({ u1: fixtures.state.u1, u3: fixtures.state.u3 });
    expect(r.calls).toEqual([["leave", "u2", { metas: [] }, fixtures.state.u2]]);
  });

  it("calls nothing for keys whose metas did not change", () => {
    const r = recorder();
    P.syncState(plain(fixtures.state), plain(fixtures.state), r.onJoin, r.onLeave);
    expect(r.calls).toEqual([]);
  });

  it("reports a new meta on a known key as a join of that meta only, with the old presence as current", () => {
    const r = recorder();
    const current = { u1: { metas: [{ id: 1, phx_ref: "1" }] } };
    const next = { u1: { metas: [{ id: 1, phx_ref: "1" }, { id: 1, phx_ref: "1.2" }] } };
    const state = P.syncState(current, next, r.onJoin, r.onLeave);
    expect(plain(state)).toEqual({ u1: { metas: [{ id: 1, phx_ref: "1" }, { id: 1, phx_ref: "1.2" }] } });
    expect(r.calls).toEqual([["join", "u1", { metas: [{ id: 1, phx_ref: "1" }] }, { metas: [{ id: 1, phx_ref: "1.2" }] }]]);
  });

  it("reports a meta gone from a known key as a leave of that meta only, with the remaining metas as current", () => {
    const r = recorder();
    const current = { u1: { metas: [{ id: 1, phx_ref: "1" }, { id: 1, phx_ref: "1.2" }] } };
    const next = { u1: { metas: [{ id: 1, phx_ref: "1.2" }] } };
    const state = P.syncState(current, next, r.onJoin, r.onLeave);
    expect(plain(state)).toEqual({ u1: { metas: [{ id: 1, phx_ref: "1.2" }] } });
    expect(r.calls).toEqual([["leave", "u1", { metas: [{ id: 1, phx_ref: "1.2" }] }, { metas: [{ id: 1, phx_ref: "1" }] }]]);
  });

  it("a replaced meta (new phx_ref) is a join then a leave on the same key", () => {
    const r = recorder();
    const current = { u1: { metas: [{ status: "away", phx_ref: "1" }] } };
    const next = { u1: { metas: [{ status: "online", phx_ref: "2" }] } };
    const state = P.syncState(current, next, r.onJoin, r.onLeave);
    expect(plain(state)).toEqual(next);
    expect(r.calls).toEqual([
      ["join", "u1", { metas: [{ status: "away", phx_ref: "1" }] }, { metas: [{ status: "online", phx_ref: "2" }] }],
      ["leave", "u1", { metas: [{ status: "online", phx_ref: "2" }] }, { metas: [{ status: "away", phx_ref: "1" }] }],
    ]);
  });

  it("calls all joins before all leaves, joins in the new state's key order", () => {
    const r = recorder();
    const current = { gone: { metas: [{ phx_ref: "g" }] }, kept: { metas: [{ phx_ref: "k" }] } };
    const next = { zed: { metas: [{ phx_ref: "z" }] }, kept: { metas: [{ phx_ref: "k" }] }, alpha: { metas: [{ phx_ref: "a" }] } };
    P.syncState(current, next, r.onJoin, r.onLeave);
    expect(r.calls.map((c: any) => `${c[0]}:${c[1]}`)).toEqual(["join:zed", "join:alpha", "leave:gone"]);
  });

  it("does not change the current state object it is given", () => {
    const current = plain(fixtures.state) as any;
    const copy = plain(current);
    P.syncState(current, { u1: plain(fixtures.state.u1) });
    expect(current).toEqual(copy);
  });

  it("works without onJoin/onLeave callbacks", () => {
    expect(plain(P.syncState({}, plain(fixtures.state)))).toEqual(fixtures.state);
  });
});

describe.each(IMPLS)("Presence.syncDiff (%s)", (_name, impl) => {
  const P = impl.Presence;

  it("adds joined keys and removes left ones", () => {
    const state = P.syncDiff({ u2: plain(fixtures.state.u2) }, { joins: plain(fixtures.joins), leaves: plain(fixtures.leaves) });
    expect(plain(state)).toEqual({ u1: fixtures.state.u1 });
  });

  it("calls onJoin(key, undefined, joined) for a new key", () => {
    const r = recorder();
    P.syncDiff({}, { joins: plain(fixtures.joins), leaves: {} }, r.onJoin, r.onLeave);
    expect(r.calls).toEqual([["join", "u1", undefined, fixtures.joins.u1]]);
  });

  it("puts a known key's existing metas before the joined ones", () => {
    const r = recorder();
    const state = P.syncDiff(
      { u1: { metas: [{ id: 1, phx_ref: "1" }] } },
      { joins: { u1: { metas: [{ id: 1, phx_ref: "1.2" }] } }, leaves: {} },
      r.onJoin,
      r.onLeave,
    );
    expect(plain(state)).toEqual({ u1: { metas: [{ id: 1, phx_ref: "1" }, { id: 1, phx_ref: "1.2" }] } });
    expect(r.calls).toEqual([["join", "u1", { metas: [{ id: 1, phx_ref: "1" }] }, { metas: [{ id: 1, phx_ref: "1.2" }] }]]);
  });

  it("a join repeating a known phx_ref does not duplicate that meta", () => {
    const state = P.syncDiff(
      { u1: { metas: [{ id: 1, phx_ref: "1" }] } },
      { joins: { u1: { metas: [{ id: 1, phx_ref: "1", fresh: true }] } }, leaves: {} },
    );
    expect(plain(state)).toEqual({ u1: { metas: [{ id: 1, phx_ref: "1", fresh: true }] } });
  });

  it("removes left metas, calls onLeave with the remaining metas, and drops the key when none remain", () => {
    const r = recorder();
    const start = { u1: { metas: [{ phx_ref: "a" }, { phx_ref: "b" }] } };
    let state = P.syncDiff(start, { joins: {}, leaves: { u1: { metas: [{ phx_ref: "a" }] } } }, r.onJoin, r.onLeave);
    expect(plain(state)).toEqual({ u1: { metas: [{ phx_ref: "b" }] } });
    state = P.syncDiff(state, { joins: {}, leaves: { u1: { metas: [{ phx_ref: "b" }] } } }, r.onJoin, r.onLeave);
    expect(plain(state)).toEqual({});
    expect(r.calls).toEqual([
      ["leave", "u1", { metas: [{ phx_ref: "b" }] }, { metas: [{ phx_ref: "a" }] }],
      ["leave", "u1", { metas: [] }, { metas: [{ phx_ref: "b" }] }],
    ]);
  });

  it("ignores a leave for a key it does not know", () => {
    const r = recorder();
    const state = P.syncDiff({}, { joins: {}, leaves: plain(fixtures.leaves) }, r.onJoin, r.onLeave);
    expect(plain(state)).toEqual({});
    expect(r.calls).toEqual([]);
  });

  it("applies joins before leaves within one diff (a meta update)", () => {
    const r = recorder();
    const state = P.syncDiff(
      { u1: { metas: [{ status: "away", phx_ref: "1" }] } },
      { joins: { u1: { metas: [{ status: "online", phx_ref: "2" }] } }, leaves: { u1: { metas: [{ status: "away", phx_ref: "1" }] } } },
      r.onJoin,
      r.onLeave,
    );
    expect(plain(state)).toEqual({ u1: { metas: [{ status: "online", phx_ref: "2" }] } });
    expect(r.calls.map((c: any) => c[0])).toEqual(["join", "leave"]);
    expect(r.calls[1]).toEqual(["leave", "u1", { metas: [{ status: "online", phx_ref: "2" }] }, { metas: [{ status: "away", phx_ref: "1" }] }]);
  });

  it("the current presence given to onLeave is the one left in the state", () => {
    let current: any;
    const state = P.syncDiff(
      { u1: { metas: [{ phx_ref: "a" }, { phx_ref: "b" }] } },
      { joins: {}, leaves: { u1: { metas: [{ phx_ref: "a" }] } } },
      undefined,
      (_k: string, cur: unknown) => {
        current = cur;
      },
    );
    expect(current).toBe(state.u1);
  });

  it("does not modify the diff it is given", () => {
    const diff = { joins: { u1: { metas: [{ phx_ref: "b" }] } }, leaves: { u2: { metas: [{ phx_ref: "c" }] } } };
    P.syncDiff({ u1: { metas: [{ phx_ref: "a" }] }, u2: { metas: [{ phx_ref: "c" }, { phx_ref: "d" }] } }, diff);
    expect(diff).toEqual({ joins: { u1: { metas: [{ phx_ref: "b" }] } }, leaves: { u2: { metas: [{ phx_ref: "c" }] } } });
  });

  it("gives onJoin the diff's presence (only the joined metas) and the state's previous entry itself", () => {
    const old = { metas: [{ phx_ref: "a" }] };
    let current: unknown;
    let joined: any;
    P.syncDiff({ u1: old }, { joins: { u1: { metas: [{ phx_ref: "b" }] } }, leaves: {} }, (_k: string, c: unknown, n: unknown) => {
      current = c;
      joined = n;
    });
    expect(current).toBe(old);
    expect(joined.metas).toEqual([{ phx_ref: "b" }]);
  });

  it("syncState returns a state without a prototype", () => {
    expect(Object.getPrototypeOf(P.syncState({}, plain(fixtures.state)))).toBeNull();
  });

  it("accepts keys named like Object.prototype properties", () => {
    const joins = JSON.parse('{"constructor":{"metas":[{"phx_ref":"c"}]},"__proto__":{"metas":[{"phx_ref":"p"}]},"toString":{"metas":[{"phx_ref":"t"}]}}');
    const state = P.syncDiff({}, { joins, leaves: {} });
    expect(P.list(state, (key: string) => key)).toEqual(["constructor", "__proto__", "toString"]);
    expect(state.toString.metas).toEqual([{ phx_ref: "t" }]);
  });
});

describe.each(IMPLS)("Presence.list (%s)", (_name, impl) => {
  const P = impl.Presence;

  it("lists the presences without a chooser", () => {
    expect(plain(P.list(plain(fixtures.state)))).toEqual([fixtures.state.u1, fixtures.state.u2, fixtures.state.u3]);
  });

  it("maps each (key, presence) through the chooser", () => {
    const list = P.list(plain(fixtures.state), (key: string, { metas: [first] }: any) => ({ key, id: first.id }));
    expect(list).toEqual([
      { key: "u1", id: 1 },
      { key: "u2", id: 2 },
      { key: "u3", id: 3 },
    ]);
  });

  it("orders keys like Object.getOwnPropertyNames: integer keys ascending, then insertion order", () => {
    const state = { b: { metas: [] }, 10: { metas: [] }, a: { metas: [] }, 2: { metas: [] } };
    expect(P.list(state, (key: string) => key)).toEqual(["2", "10", "b", "a"]);
  });

  it("lists in the order presences joined through syncDiff", () => {
    let state = P.syncDiff({}, { joins: { zed: { metas: [{ phx_ref: "1" }] } }, leaves: {} });
    state = P.syncDiff(state, { joins: { alpha: { metas: [{ phx_ref: "2" }] } }, leaves: {} });
    state = P.syncDiff(state, { joins: { mid: { metas: [{ phx_ref: "3" }] } }, leaves: {} });
    expect(P.list(state, (key: string) => key)).toEqual(["zed", "alpha", "mid"]);
  });

  it("lists an empty state as []", () => {
    expect(P.list({})).toEqual([]);
  });
});

describe.each(IMPLS)("Presence bound to a channel (%s)", (_name, impl) => {
  function setup(opts?: Record<string, unknown>): { socket: any; t: ManualTransport; channel: any; presence: any } {
    const { socket, t } = manualSocket(impl);
    const channel = socket.channel("room:lobby");
    const presence = opts ? new impl.Presence(channel, opts) : new impl.Presence(channel);
    return { socket, t, channel, presence };
  }

  it("starts empty, pending a state, with no join ref", () => {
    const { presence, channel } = setup();
    expect(presence.list()).toEqual([]);
    expect(presence.pendingDiffs).toEqual([]);
    expect(presence.joinRef).toBeNull();
    expect(presence.channel).toBe(channel);
    expect(presence.inPendingSyncState()).toBe(true);
  });

  it("applies presence_state, calls onJoin for each key and onSync once", () => {
    const { t, channel, presence } = setup();
    const r = recorder();
    const onSync = vi.fn();
    presence.onJoin(r.onJoin);
    presence.onLeave(r.onLeave);
    presence.onSync(onSync);
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", plain(fixtures.state));
    expect(onSync).toHaveBeenCalledTimes(1);
    expect(r.calls.map((c: any) => c[1])).toEqual(["u1", "u2", "u3"]);
    expect(presence.inPendingSyncState()).toBe(false);
    expect(presence.joinRef).toBe(channel.joinRef());
    expect(plain(presence.list((key: string) => key))).toEqual(["u1", "u2", "u3"]);
  });

  it("holds diffs that arrive before the state and applies them, in order, right after it", () => {
    const { t, channel, presence } = setup();
    const onSync = vi.fn();
    presence.onSync(onSync);
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_diff", { joins: plain(fixtures.joins), leaves: {} });
    t.receive(channel.joinRef(), null, "room:lobby", "presence_diff", { joins: {}, leaves: plain(fixtures.leaves) });
    expect(presence.pendingDiffs).toHaveLength(2);
    expect(onSync).not.toHaveBeenCalled();
    expect(presence.list()).toEqual([]);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", { u2: plain(fixtures.state.u2), u3: plain(fixtures.state.u3) });
    expect(onSync).toHaveBeenCalledTimes(1);
    expect(presence.pendingDiffs).toEqual([]);
    expect(presence.list((key: string) => key)).toEqual(["u3", "u1"]);
  });

  it("applies diffs after the state at once, each followed by onSync", () => {
    const { t, channel, presence } = setup();
    const onSync = vi.fn();
    presence.onSync(onSync);
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", {});
    t.receive(channel.joinRef(), null, "room:lobby", "presence_diff", { joins: plain(fixtures.joins), leaves: {} });
    expect(onSync).toHaveBeenCalledTimes(2);
    expect(plain(presence.list())).toEqual([fixtures.joins.u1]);
  });

  it("calls onLeave through the instance with the remaining and the left presence", () => {
    const { t, channel, presence } = setup();
    const r = recorder();
    presence.onLeave(r.onLeave);
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", plain(fixtures.state));
    t.receive(channel.joinRef(), null, "room:lobby", "presence_diff", { joins: {}, leaves: plain(fixtures.leaves) });
    expect(r.calls).toEqual([["leave", "u2", { metas: [] }, fixtures.leaves.u2]]);
  });

  it("is pending again after a rejoin until the new state arrives", () => {
    vi.useFakeTimers();
    const { t, channel, presence } = setup();
    const onSync = vi.fn();
    presence.onSync(onSync);
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", plain(fixtures.state));
    t.drop();
    vi.advanceTimersByTime(10);
    const t2 = lastTransport();
    t2.open();
    const join = t2.frames().find((f) => f[3] === "phx_join")!;
    t2.receive(join[0], join[1], "room:lobby", "phx_reply", { status: "ok", response: {} });
    expect(presence.inPendingSyncState()).toBe(true);
    t2.receive(channel.joinRef(), null, "room:lobby", "presence_diff", { joins: {}, leaves: plain(fixtures.leaves) });
    expect(onSync).toHaveBeenCalledTimes(1);
    t2.receive(channel.joinRef(), null, "room:lobby", "presence_state", { u1: plain(fixtures.state.u1), u2: plain(fixtures.state.u2) });
    expect(onSync).toHaveBeenCalledTimes(2);
    expect(presence.list((key: string) => key)).toEqual(["u1"]);
  });

  it("listens to custom state and diff event names", () => {
    const { t, channel, presence } = setup({ events: { state: "my_state", diff: "my_diff" } });
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", plain(fixtures.state));
    expect(presence.list()).toEqual([]);
    t.receive(channel.joinRef(), null, "room:lobby", "my_state", { u1: plain(fixtures.state.u1) });
    t.receive(channel.joinRef(), null, "room:lobby", "my_diff", { joins: { u9: { metas: [{ phx_ref: "9" }] } }, leaves: {} });
    expect(presence.list((key: string) => key)).toEqual(["u1", "u9"]);
  });

  it("list(chooser) on the instance maps like the static list", () => {
    const { t, channel, presence } = setup();
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", plain(fixtures.state));
    expect(presence.list((key: string, { metas }: any) => `${key}:${metas.length}`)).toEqual(["u1:1", "u2:1", "u3:1"]);
  });

  it("ignores a presence_diff carrying a stale join ref", () => {
    const { t, channel, presence } = setup();
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", {});
    const onSync = vi.fn();
    presence.onSync(onSync);
    t.receive("old", null, "room:lobby", "presence_diff", { joins: plain(fixtures.joins), leaves: {} });
    expect(onSync).not.toHaveBeenCalled();
    expect(presence.list()).toEqual([]);
  });

  it("replacing onSync keeps only the last callback", () => {
    const { t, channel, presence } = setup();
    const first = vi.fn();
    const second = vi.fn();
    presence.onSync(first);
    presence.onSync(second);
    joinOk(channel, t);
    t.receive(channel.joinRef(), null, "room:lobby", "presence_state", {});
    expect(first).not.toHaveBeenCalled();
    expect(second).toHaveBeenCalledTimes(1);
  });
});

describe.each(IMPLS)("Presence across rejoins and payloads (%s)", (_name, impl) => {
  it("the state after a rejoin reports only what changed, joins before leaves", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("p");
    const pr = new impl.Presence(ch);
    const calls: unknown[] = [];
    pr.onJoin((k: string, c: unknown, n: unknown) => calls.push(["join", k, snap(c), snap(n)]));
    pr.onLeave((k: string, c: unknown, l: unknown) => calls.push(["leave", k, snap(c), snap(l)]));
    joinOk(ch, t);
    t.receive(ch.joinRef(), null, "p", "presence_state", { u1: { metas: [{ phx_ref: "1" }] }, u2: { metas: [{ phx_ref: "2" }] } });
    calls.length = 0;
    t.drop();
    vi.advanceTimersByTime(10);
    const t2 = lastTransport(); t2.open();
    const j = t2.frames().find((f) => f[3] === "phx_join")!;
    t2.receive(j[0], j[1], "p", "phx_reply", { status: "ok", response: {} });
    t2.receive(ch.joinRef(), null, "p", "presence_state", { u1: { metas: [{ phx_ref: "1" }] }, u4: { metas: [{ phx_ref: "4" }] } });
    expect(calls).toEqual([["join", "u4", undefined, { metas: [{ phx_ref: "4" }] }], ["leave", "u2", { metas: [] }, { metas: [{ phx_ref: "2" }] }]]);
  });

  it("list() while waiting for the new state after a rejoin returns the previous state", () => {
    vi.useFakeTimers();
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("p");
    const pr = new impl.Presence(ch);
    joinOk(ch, t);
    t.receive(ch.joinRef(), null, "p", "presence_state", { u1: { metas: [{ phx_ref: "1" }] } });
    t.drop();
    vi.advanceTimersByTime(10);
    lastTransport().open();
    expect(pr.list((k: string) => k)).toEqual(["u1"]);
  });

  it("does not modify the presence_state payload when later diffs arrive", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("p");
    new impl.Presence(ch);
    joinOk(ch, t);
    const payload = { u1: { metas: [{ phx_ref: "1" }] } };
    ch.trigger("presence_state", payload);
    ch.trigger("presence_diff", { joins: { u1: { metas: [{ phx_ref: "2" }] } }, leaves: {} });
    expect(payload).toEqual({ u1: { metas: [{ phx_ref: "1" }] } });
  });

  it("onSync is called with no arguments", () => {
    const { socket, t } = manualSocket(impl);
    const ch = socket.channel("p");
    const pr = new impl.Presence(ch);
    const s = vi.fn(); pr.onSync(s);
    joinOk(ch, t);
    t.receive(ch.joinRef(), null, "p", "presence_state", {});
    expect(s).toHaveBeenCalledWith();
  });

  it("listens through channel.on (presence_state and presence_diff bindings)", () => {
    const socket = new impl.Socket("/socket", { transport: ManualTransport });
    const ch = socket.channel("p");
    new impl.Presence(ch);
    expect(ch.bindings.map((b: any) => b.event).filter((e: string) => e.startsWith("presence"))).toEqual(["presence_state", "presence_diff"]);
  });
});
