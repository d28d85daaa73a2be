import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, expectTypeOf, it } from "vitest";
import { DecodeError } from "../../src/errors";
import { Presence, type PresenceChannel, type PresenceEntry, type PresenceState } from "../../src/presence";

/** The official phoenix.js Presence, run side by side as the oracle. */
interface OracleClass {
  new (channel: PresenceChannel, opts?: object): {
    onJoin(cb: (...args: unknown[]) => void): void;
    onLeave(cb: (...args: unknown[]) => void): void;
    onSync(cb: () => void): void;
    list(chooser?: (key: string, p: unknown) => unknown): unknown[];
    inPendingSyncState(): boolean;
  };
  syncState(a: object, b: object, onJoin?: unknown, onLeave?: unknown): object;
  syncDiff(a: object, b: object, onJoin?: unknown, onLeave?: unknown): object;
}
const require = createRequire(import.meta.url);
const Oracle = (require("phoenix") as { Presence: OracleClass }).Presence;

/** A channel that only does what Presence needs. */
class FakeChannel implements PresenceChannel {
  private bindings: Array<{ event: string; ref: number; callback: (payload: unknown) => void }> = [];
  private nextRef = 0;
  currentJoinRef: string | null = "1";
  on(event: string, callback: (payload: unknown) => void): number {
    const ref = ++this.nextRef;
    this.bindings.push({ event, ref, callback });
    return ref;
  }
  off(event: string, ref?: number): void {
    this.bindings = this.bindings.filter((b) => !(b.event === event && (ref === undefined || b.ref === ref)));
  }
  joinRef(): string | null {
    return this.currentJoinRef;
  }
  trigger(event: string, payload: unknown): void {
    for (const b of this.bindings.filter((x) => x.event === event)) b.callback(payload);
  }
  bindingCount(): number {
    return this.bindings.length;
  }
}

/** JSON text for a map, so keys like `__proto__` become own keys, as they do off the wire. */
function presencesJSON(entries: Array<[string, Array<Record<string, unknown>>]>): string {
  return `{${entries.map(([key, metas]) => `${JSON.stringify(key)}:${JSON.stringify({ metas })}`).join(",")}}`;
}
const wire = (text: string): unknown => JSON.parse(text);
const snapshot = (value: unknown): unknown => (value === undefined ? "undefined" : JSON.parse(JSON.stringify(value)));

/** Ours and phoenix.js's Presence on twin channels, each fed its own copy of every payload. */
function twins() {
  const oursChannel = new FakeChannel();
  const oracleChannel = new FakeChannel();
  const ours = new Presence(oursChannel);
  const oracle = new Oracle(oracleChannel);
  const logs = { ours: [] as unknown[], oracle: [] as unknown[] };
  for (const [name, p] of [
    ["ours", ours],
    ["oracle", oracle],
  ] as const) {
    const log = logs[name];
    p.onJoin((key: unknown, current: unknown, joined: unknown) => log.push(["join", key, snapshot(current), snapshot(joined)]));
    p.onLeave((key: unknown, current: unknown, left: unknown) => log.push(["leave", key, snapshot(current), snapshot(left)]));
    p.onSync(() => log.push(["sync", snapshot(p.list())]));
  }
  return {
    ours,
    oracle,
    logs,
    state(text: string) {
      oursChannel.trigger("presence_state", wire(text));
      oracleChannel.trigger("presence_state", wire(text));
    },
    diff(joins: string, leaves: string) {
      const text = `{"joins":${joins},"leaves":${leaves}}`;
      oursChannel.trigger("presence_diff", wire(text));
      oracleChannel.trigger("presence_diff", wire(text));
    },
    rejoin(ref: string) {
      oursChannel.currentJoinRef = ref;
      oracleChannel.currentJoinRef = ref;
    },
    expectSame() {
      expect(logs.ours).toEqual(logs.oracle);
      expect(snapshot(ours.list())).toEqual(snapshot(oracle.list()));
      expect(ours.inPendingSyncState()).toBe(oracle.inPendingSyncState());
    },
  };
}

const m = (ref: string, extra: Record<string, unknown> = {}) => ({ phx_ref: ref, ...extra });

describe("Presence, compared with phoenix.js", () => {
  it("reports joins and leaves with the same arguments phoenix.js gives", () => {
    const t = twins();
    t.state(presencesJSON([["alice", [m("a1", { name: "Alice" })]]]));
    t.diff(presencesJSON([["bob", [m("b1", { name: "Bob" })]]]), "{}");
    t.diff("{}", presencesJSON([["alice", [m("a1", { name: "Alice" })]]]));
    t.expectSame();
    expect(t.ours.list().map((p) => p.metas[0]!["name"])).toEqual(["Bob"]);
    expect(t.logs.ours.filter((e) => (e as string[])[0] === "leave")).toEqual([
      ["leave", "alice", { metas: [] }, { metas: [{ phx_ref: "a1", name: "Alice" }] }],
    ]);
  });

  it("keeps one entry per key with every device's meta, removing only the device that left", () => {
    const t = twins();
    t.state(presencesJSON([["u1", [m("phone", { device: "phone" }), m("laptop", { device: "laptop" })]]]));
    t.diff(presencesJSON([["u1", [m("tablet", { device: "tablet" })]]]), "{}");
    t.diff("{}", presencesJSON([["u1", [m("phone", { device: "phone" })]]]));
    t.expectSame();
    expect(t.ours.list()).toHaveLength(1);
    expect(t.ours.list()[0]!.metas.map((x) => x["device"])).toEqual(["laptop", "tablet"]);
  });

  it("treats a meta update (leave and join of one key in one diff) as phoenix.js does", () => {
    const t = twins();
    t.state(presencesJSON([["u1", [m("r1", { status: "away" }), m("r2", { status: "on" })]]]));
    t.diff(
      presencesJSON([["u1", [m("r3", { status: "busy", phx_ref_prev: "r1" })]]]),
      presencesJSON([["u1", [m("r1", { status: "away" })]]]),
    );
    t.expectSame();
    expect(t.ours.list()[0]!.metas.map((x) => x.phx_ref)).toEqual(["r2", "r3"]);
  });

  it("holds diffs that arrive before the state and applies them right after it", () => {
    const t = twins();
    expect(t.ours.inPendingSyncState()).toBe(true);
    t.diff(presencesJSON([["me", [m("m1")]]]), "{}");
    t.diff(presencesJSON([["other", [m("o2")]]]), presencesJSON([["other", [m("o1")]]]));
    expect(t.logs.ours).toEqual([]); // nothing applied, no sync yet
    expect(t.ours.list()).toEqual([]);
    t.state(presencesJSON([["other", [m("o1")]]]));
    expect(t.ours.inPendingSyncState()).toBe(false);
    t.expectSame();
    expect(t.ours.list((key, p) => [key, p.metas.map((x) => x.phx_ref)])).toEqual([
      ["other", ["o2"]],
      ["me", ["m1"]],
    ]);
  });

  it("after a rejoin holds diffs until the new state, which replaces the old one", () => {
    const t = twins();
    t.state(presencesJSON([["a", [m("a1")]], ["b", [m("b1")]]]));
    t.rejoin("7");
    expect(t.ours.inPendingSyncState()).toBe(true);
    t.diff(presencesJSON([["c", [m("c2")]]]), "{}");
    t.state(presencesJSON([["b", [m("b1")]], ["c", [m("c1")]]]));
    expect(t.ours.inPendingSyncState()).toBe(false);
    t.expectSame();
    expect(t.ours.list((key) => key)).toEqual(["b", "c"]);
    expect(t.ours.list()[1]!.metas.map((x) => x.phx_ref)).toEqual(["c1", "c2"]);
  });

  it("treats __proto__, constructor and hasOwnProperty as plain keys, without touching Object.prototype", () => {
    const t = twins();
    const keys = ["__proto__", "constructor", "hasOwnProperty", "toString"];
    t.state(presencesJSON(keys.map((k) => [k, [m(`${k}-1`)]])));
    t.diff("{}", presencesJSON([["valueOf", [m("never-joined")]], ["constructor", [m("constructor-1")]]]));
    t.diff(presencesJSON([["__proto__", [m("__proto__-2")]]]), "{}");
    t.expectSame();
    expect(t.ours.list((key, p) => [key, p.metas.length])).toEqual([
      ["__proto__", 2],
      ["hasOwnProperty", 1],
      ["toString", 1],
    ]);
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, "metas")).toBe(false);
    expect(({} as Record<string, unknown>)["metas"]).toBeUndefined();
  });

  it("orders keys as phoenix.js does (integer-like keys first, ascending)", () => {
    const t = twins();
    t.state(presencesJSON([["zed", [m("z")]], ["10", [m("t")]], ["2", [m("two")]]]));
    t.diff(presencesJSON([["1", [m("one")]], ["amy", [m("a")]]]), "{}");
    t.expectSame();
    expect(t.ours.list((key) => key)).toEqual(["1", "2", "10", "zed", "amy"]);
  });

  it("orders edge-case numeric keys as phoenix.js does, also after they leave and come back", () => {
    const t = twins();
    const keys = ["4294967295", "01", "0", "-1", "1.5", "4294967294", "7", " 3", "3"];
    t.state(presencesJSON(keys.map((k, i) => [k, [m(`r${i}`)]])));
    t.diff("{}", presencesJSON([["7", [m("r6")]], ["01", [m("r1")]]]));
    t.diff(presencesJSON([["01", [m("x")]], ["7", [m("y")]], ["5", [m("z")]]]), "{}");
    t.expectSame();
    expect(t.ours.list((key) => key)).toEqual(["0", "3", "5", "7", "4294967294", "4294967295", "-1", "1.5", " 3", "01"]);
  });

  it("keeps the extra fields a server's fetch/2 adds to entries through joins and leaves, as phoenix.js does", () => {
    const t = twins();
    const entry = (user: string, refs: string[]) => ({ user: { name: user }, metas: refs.map((r) => m(r)) });
    const text = (value: unknown) => JSON.stringify(value);
    t.state(text({ u1: entry("Ann", ["a", "b"]), u2: { metas: [m("c")] } }));
    t.diff(text({ u1: entry("Ann B.", ["d"]), u2: entry("Cy", ["e"]) }), text({ u1: entry("Ann", ["a"]) }));
    t.diff("{}", text({ u2: entry("Cy", ["c"]) }));
    t.expectSame();
    expect(t.ours.list((key, p) => [key, (p as unknown as { user?: { name: string } }).user?.name, p.metas.length])).toEqual([
      ["u1", "Ann B.", 2],
      ["u2", "Cy", 1],
    ]);
  });

  it("never changes the state or diff payloads it was given, even while holding them", () => {
    const channel = new FakeChannel();
    const presence = new Presence(channel);
    presence.onJoin(() => {});
    presence.onLeave(() => {});
    const early = { joins: { a: { metas: [m("2")] } }, leaves: { a: { metas: [m("1")] } } };
    const state = { a: { metas: [m("1")] }, b: { metas: [m("3")] } };
    const later = { joins: { b: { metas: [m("4")] } }, leaves: { b: { metas: [m("3")] }, a: { metas: [m("2")] } } };
    const before = snapshot([early, state, later]);
    channel.trigger("presence_diff", early);
    channel.trigger("presence_state", state);
    channel.trigger("presence_diff", later);
    expect(snapshot([early, state, later])).toEqual(before);
    expect(presence.list((key, p) => [key, p.metas.map((x) => x.phx_ref)])).toEqual([["b", ["4"]]]);
  });

  it("matches phoenix.js on random sequences of states, diffs and rejoins", () => {
    const keyArb = fc.constantFrom("1", "2", "10", "alice", "bob", "__proto__", "constructor", "hasOwnProperty");
    const metasArb = fc.array(
      fc.record({ phx_ref: fc.constantFrom("r1", "r2", "r3", "r4", "r5"), n: fc.integer({ min: 0, max: 3 }) }),
      { minLength: 1, maxLength: 3 },
    );
    const presencesArb = fc
      .uniqueArray(fc.tuple(keyArb, metasArb), { maxLength: 5, selector: ([k]) => k })
      .map((entries) => presencesJSON(entries));
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant("state" as const), body: presencesArb }),
      fc.record({ kind: fc.constant("diff" as const), joins: presencesArb, leaves: presencesArb }),
      fc.record({ kind: fc.constant("rejoin" as const), ref: fc.constantFrom("1", "2", "3") }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
        const t = twins();
        for (const op of ops) {
          if (op.kind === "state") t.state(op.body);
          else if (op.kind === "diff") t.diff(op.joins, op.leaves);
          else t.rejoin(op.ref);
          t.expectSame();
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("Presence state handling", () => {
  it("exposes its callbacks as presence.caller and its state as presence.state, as phoenix.js does", () => {
    const channel = new FakeChannel();
    const presence = new Presence(channel);
    const onSync = (): void => {};
    presence.onSync(onSync);
    expect(presence.caller.onSync).toBe(onSync);
    const joined: string[] = [];
    presence.caller.onJoin = (key) => joined.push(key);
    channel.trigger("presence_state", wire(presencesJSON([["__proto__", [m("1")]], ["v", [m("9")]]])));
    expect(joined).toEqual(["__proto__", "v"]);
    const state = presence.state;
    expect(Object.getPrototypeOf(state)).toBeNull();
    expect(Object.keys(state)).toEqual(["__proto__", "v"]);
    expect(state["v"]?.metas.map((x) => x.phx_ref)).toEqual(["9"]);
    presence.dispose();
    expect(presence.caller.onSync).not.toBe(onSync);
  });

  it("never changes an entry it already handed out: a change makes a new entry", () => {
    const channel = new FakeChannel();
    const presence = new Presence(channel);
    channel.trigger("presence_state", wire(presencesJSON([["u", [m("1")]], ["v", [m("9")]]])));
    const [before, untouched] = presence.list();
    channel.trigger("presence_diff", wire(`{"joins":${presencesJSON([["u", [m("2")]]])},"leaves":{}}`));
    const [after, same] = presence.list();
    expect(before!.metas.map((x) => x.phx_ref)).toEqual(["1"]);
    expect(after!.metas.map((x) => x.phx_ref)).toEqual(["1", "2"]);
    expect(same).toBe(untouched);
  });

  it("ignores a malformed state or diff, reports a DecodeError and keeps its state", () => {
    const channel = new FakeChannel();
    const presence = new Presence(channel);
    const errors: DecodeError[] = [];
    let syncs = 0;
    presence.onError((e) => errors.push(e));
    presence.onSync(() => syncs++);
    channel.trigger("presence_state", wire(presencesJSON([["u", [m("1")]]])));
    for (const bad of [null, "x", [], { u: { metas: "no" } }, { u: null }, { u: { metas: [1] } }]) {
      expect(() => channel.trigger("presence_state", bad)).not.toThrow();
    }
    for (const bad of [null, 5, { joins: [] }, { joins: { u: {} } }, { leaves: { u: { metas: [null] } } }]) {
      expect(() => channel.trigger("presence_diff", bad)).not.toThrow();
    }
    expect(errors).toHaveLength(11);
    expect(errors.every((e) => e instanceof DecodeError)).toBe(true);
    expect(syncs).toBe(1);
    expect(presence.list().map((p) => p.metas[0]!.phx_ref)).toEqual(["1"]);
  });

  it("applies the whole diff and still syncs when an app callback throws, then rethrows the first error", () => {
    const channel = new FakeChannel();
    const presence = new Presence(channel);
    channel.trigger("presence_state", { a: { metas: [m("1")] } });
    let syncs = 0;
    presence.onJoin((key) => {
      if (key === "b") throw new Error("join handler bug");
    });
    presence.onLeave(() => {
      throw new Error("leave handler bug");
    });
    presence.onSync(() => syncs++);
    const diff = { joins: { b: { metas: [m("2")] }, c: { metas: [m("3")] } }, leaves: { a: { metas: [m("1")] } } };
    expect(() => channel.trigger("presence_diff", diff)).toThrow("join handler bug");
    expect(presence.list((key) => key)).toEqual(["b", "c"]);
    expect(syncs).toBe(1);
  });

  it("accepts a diff with only joins or only leaves", () => {
    const channel = new FakeChannel();
    const presence = new Presence(channel);
    channel.trigger("presence_state", {});
    channel.trigger("presence_diff", { joins: { a: { metas: [m("1")] } } });
    channel.trigger("presence_diff", { leaves: { a: { metas: [m("1")] } } });
    expect(presence.list()).toEqual([]);
  });

  it("listens to renamed events when told to", () => {
    const channel = new FakeChannel();
    const presence = new Presence(channel, { events: { state: "who", diff: "who_diff" } });
    channel.trigger("who", { a: { metas: [m("1")] } });
    channel.trigger("who_diff", { joins: { b: { metas: [m("2")] } }, leaves: {} });
    expect(presence.list((key) => key)).toEqual(["a", "b"]);
  });

  it("dispose() removes its channel bindings and callbacks", () => {
    const channel = new FakeChannel();
    const presence = new Presence(channel);
    let syncs = 0;
    presence.onSync(() => syncs++);
    expect(channel.bindingCount()).toBe(2);
    presence.dispose();
    expect(channel.bindingCount()).toBe(0);
    channel.trigger("presence_state", { a: { metas: [m("1")] } });
    expect(syncs).toBe(0);
  });

  it("inPendingSyncState follows the channel's join ref", () => {
    const channel = new FakeChannel();
    channel.currentJoinRef = null;
    const presence = new Presence(channel);
    expect(presence.inPendingSyncState()).toBe(true);
    channel.currentJoinRef = "3";
    channel.trigger("presence_state", {});
    expect(presence.inPendingSyncState()).toBe(false);
    channel.currentJoinRef = "4";
    expect(presence.inPendingSyncState()).toBe(true);
  });
});

describe("Presence static functions", () => {
  const initial = (): PresenceState => ({ a: { metas: [m("1")] }, b: { metas: [m("2")] } });

  it("syncState returns a new state and leaves the current one as it was, like phoenix.js", () => {
    const current = initial();
    const before = snapshot(current);
    const joined: unknown[] = [];
    const left: unknown[] = [];
    const next = Presence.syncState(
      current,
      { b: { metas: [m("2"), m("3")] }, c: { metas: [m("4")] } },
      (key, cur, j) => joined.push([key, snapshot(cur), snapshot(j)]),
      (key, cur, l) => left.push([key, snapshot(cur), snapshot(l)]),
    );
    expect(snapshot(current)).toEqual(before);
    const oracleJoined: unknown[] = [];
    const oracleLeft: unknown[] = [];
    const oracleNext = Oracle.syncState(
      initial(),
      { b: { metas: [m("2"), m("3")] }, c: { metas: [m("4")] } },
      (key: string, cur: unknown, j: unknown) => oracleJoined.push([key, snapshot(cur), snapshot(j)]),
      (key: string, cur: unknown, l: unknown) => oracleLeft.push([key, snapshot(cur), snapshot(l)]),
    );
    expect(snapshot(next)).toEqual(snapshot(oracleNext));
    expect(joined).toEqual(oracleJoined);
    expect(left).toEqual(oracleLeft);
  });

  it("syncDiff returns the updated state, equal to phoenix.js's, for plain and null-prototype states", () => {
    const diff = { joins: { c: { metas: [m("5")] } }, leaves: { a: { metas: [m("1")] } } };
    const oracle = snapshot(Oracle.syncDiff(initial(), snapshot(diff) as object));
    const plain = Presence.syncDiff(initial(), snapshot(diff) as never);
    expect(snapshot(plain)).toEqual(oracle);
    const bare = Object.assign(Object.create(null) as PresenceState, initial());
    expect(snapshot(Presence.syncDiff(bare, snapshot(diff) as never))).toEqual(oracle);
  });

  it("syncDiff on a plain object returns a copy without a prototype, __proto__ an own key in it", () => {
    const state: PresenceState = {};
    const joins = wire(`{${JSON.stringify("__proto__")}:{"metas":[{"phx_ref":"p"}]}}`) as PresenceState;
    const next = Presence.syncDiff(state, { joins, leaves: {} });
    // As phoenix.js: the given plain object is left alone, the result has no prototype.
    expect(next).not.toBe(state);
    expect(Object.keys(state)).toEqual([]);
    expect(Object.getPrototypeOf(next)).toBeNull();
    expect(Object.keys(next)).toEqual(["__proto__"]);
    expect(Presence.list(next, (key) => key)).toEqual(["__proto__"]);
    // A state without a prototype (one syncDiff returned) is updated in place.
    expect(Presence.syncDiff(next, { joins: {}, leaves: joins })).toBe(next);
    expect(Object.keys(next)).toEqual([]);
  });

  it("list applies the chooser to each key in order", () => {
    expect(Presence.list(initial(), (key, p) => `${key}:${p.metas.length}`)).toEqual(["a:1", "b:1"]);
    expect(Presence.list(initial())).toEqual(Object.values(initial()));
  });

  it("syncDiff changes only the state it returns, never the diff it was given", () => {
    const diff = { joins: { a: { metas: [m("5")] } }, leaves: { a: { metas: [m("1")] }, b: { metas: [m("2")] } } };
    const before = snapshot(diff);
    const next = Presence.syncDiff(initial(), diff);
    expect(snapshot(diff)).toEqual(before);
    expect(Presence.list(next, (key, p) => [key, p.metas.map((x) => x.phx_ref)])).toEqual([["a", ["5"]]]);
  });

  it("syncDiff rejects a diff that is not a presence diff with a DecodeError", () => {
    expect(() => Presence.syncDiff(initial(), null as never)).toThrow(DecodeError);
    expect(() => Presence.syncDiff(initial(), { joins: { a: 1 } } as never)).toThrow(DecodeError);
  });
});

describe("Presence types", () => {
  it("types the metas everywhere from the type parameter", () => {
    const channel = new FakeChannel();
    const presence = new Presence<{ name: string; device: string }>(channel);
    channel.trigger("presence_state", { u: { metas: [m("1", { name: "U", device: "phone" })] } });
    expectTypeOf(presence.list()).toEqualTypeOf<Array<PresenceEntry<{ name: string; device: string }>>>();
    expectTypeOf(presence.list()[0]!.metas[0]!.device).toEqualTypeOf<string>();
    expectTypeOf(presence.list()[0]!.metas[0]!.phx_ref).toEqualTypeOf<string>();
    presence.onJoin((_key, current, joined) => {
      expectTypeOf(current).toEqualTypeOf<PresenceEntry<{ name: string; device: string }> | undefined>();
      expectTypeOf(joined.metas[0]!.name).toEqualTypeOf<string>();
    });
    presence.onLeave((_key, current, left) => {
      expectTypeOf(current.metas).toEqualTypeOf<Array<{ name: string; device: string } & { phx_ref: string; phx_ref_prev?: string }>>();
      expectTypeOf(left.metas[0]!.device).toEqualTypeOf<string>();
    });
    expectTypeOf(presence.list((_key, p) => p.metas.length)).toEqualTypeOf<number[]>();
  });
});
