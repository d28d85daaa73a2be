import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors";
import { Presence, type PresenceDiff, type PresenceMeta } from "../../src/server/presence";
import type { ChannelSocket, ConnectInfo, EndpointLike, Payload } from "../../src/server/types";

interface Broadcast {
  topic: string;
  event: string;
  payload: Payload;
}

class FakeEndpoint implements EndpointLike {
  readonly sent: Broadcast[] = [];
  broadcast(topic: string, event: string, payload: Payload): void {
    // Through JSON, as a client would see it.
    this.sent.push({ topic, event, payload: JSON.parse(JSON.stringify(payload)) as Payload });
  }
  broadcastFrom(_from: ChannelSocket, topic: string, event: string, payload: Payload): void {
    this.broadcast(topic, event, payload);
  }
  diffs(): PresenceDiff[] {
    return this.sent.filter((b) => b.event === "presence_diff").map((b) => b.payload as PresenceDiff);
  }
}

class FakeChannel implements ChannelSocket {
  assigns = {};
  readonly id = null;
  readonly connectInfo: ConnectInfo = { transport: "websocket", headers: {} };
  readonly pushed: Array<[string, Payload]> = [];
  closed = false;
  private readonly cbs: Array<(reason: string) => void> = [];
  constructor(
    readonly topic: string,
    readonly endpoint: EndpointLike,
    readonly joinRef: string | null = "1",
  ) {}
  push(event: string, payload: Payload): void {
    this.pushed.push([event, payload]);
  }
  broadcast(event: string, payload: Payload): void {
    this.endpoint.broadcast(this.topic, event, payload);
  }
  broadcastFrom(event: string, payload: Payload): void {
    this.endpoint.broadcastFrom(this, this.topic, event, payload);
  }
  onTerminate(cb: (reason: string) => void): void {
    if (!this.closed) this.cbs.push(cb);
  }
  afterJoin(cb: () => void): void {
    cb();
  }
  /** What the core does when the channel leaves, crashes, stops or its connection drops. */
  end(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const cb of this.cbs.splice(0)) cb(reason);
  }
}

function setup<M extends PresenceMeta = PresenceMeta>() {
  const endpoint = new FakeEndpoint();
  const presence = new Presence<M>(endpoint);
  const channel = (topic = "presence:lobby") => new FakeChannel(topic, endpoint);
  return { endpoint, presence, channel };
}

const REF = /^[A-Za-z0-9_-]{16}$/;

describe("server presence", () => {
  it("track broadcasts a presence_diff with the key in joins and a phx_ref on its meta", () => {
    const { endpoint, presence, channel } = setup();
    const alice = channel();
    const result = presence.track(alice, "alice", { name: "alice" });
    expect(result.ok).toBe(true);
    const ref = result.ok ? result.ref : "";
    expect(ref).toMatch(REF);
    expect(endpoint.sent).toEqual([
      { topic: "presence:lobby", event: "presence_diff", payload: { joins: { alice: { metas: [{ name: "alice", phx_ref: ref }] } }, leaves: {} } },
    ]);
    expect(presence.list("presence:lobby")).toEqual({ alice: { metas: [{ name: "alice", phx_ref: ref }] } });
  });

  it("the state a joiner gets lists everyone already there plus itself (the ws-v2-presence order: diff, then state)", () => {
    const { endpoint, presence, channel } = setup();
    presence.track(channel(), "alice", { name: "alice" });
    const bob = channel();
    presence.track(bob, "bob", { name: "bob" });
    bob.push("presence_state", presence.list(bob.topic));
    const state = bob.pushed[0]?.[1] as Record<string, { metas: Array<{ name: string }> }>;
    expect(Object.keys(state)).toEqual(["alice", "bob"]);
    expect(state.bob?.metas[0]?.name).toBe("bob");
    expect(endpoint.diffs().map((d) => Object.keys(d.joins))).toEqual([["alice"], ["bob"]]);
  });

  it("one key tracked from several channels (devices) lists every meta, and each leaves on its own", () => {
    const { endpoint, presence, channel } = setup();
    const phone = channel();
    const laptop = channel();
    presence.track(phone, "u1", { device: "phone" });
    presence.track(laptop, "u1", { device: "laptop" });
    expect(presence.list("presence:lobby").u1?.metas.map((m) => m.device)).toEqual(["phone", "laptop"]);
    presence.untrack(phone, "u1");
    expect(presence.list("presence:lobby").u1?.metas.map((m) => m.device)).toEqual(["laptop"]);
    expect(endpoint.diffs().at(-1)).toEqual({ joins: {}, leaves: { u1: { metas: [expect.objectContaining({ device: "phone" })] } } });
    presence.untrack(laptop, "u1");
    expect(presence.list("presence:lobby")).toEqual({});
  });

  it("update gives a new phx_ref and phx_ref_prev, and the diff has the new meta in joins and the old in leaves", () => {
    const { endpoint, presence, channel } = setup<{ status: string }>();
    const alice = channel();
    const first = presence.track(alice, "alice", { status: "away" });
    const second = presence.update(alice, "alice", { status: "online" });
    expect(first.ok && second.ok).toBe(true);
    if (!first.ok || !second.ok) return;
    expect(second.ref).not.toBe(first.ref);
    expect(endpoint.diffs().at(-1)).toEqual({
      joins: { alice: { metas: [{ status: "online", phx_ref: second.ref, phx_ref_prev: first.ref }] } },
      leaves: { alice: { metas: [{ status: "away", phx_ref: first.ref }] } },
    });
    expect(presence.list("presence:lobby").alice?.metas).toEqual([{ status: "online", phx_ref: second.ref, phx_ref_prev: first.ref }]);
  });

  it("update with a function gets the previous meta without refs", () => {
    const { presence, channel } = setup<{ count: number }>();
    const alice = channel();
    presence.track(alice, "alice", { count: 1 });
    const seen: unknown[] = [];
    presence.update(alice, "alice", (old) => {
      seen.push(old);
      return { count: old.count + 1 };
    });
    expect(seen).toEqual([{ count: 1 }]);
    expect(presence.list("presence:lobby").alice?.metas[0]?.count).toBe(2);
  });

  it("tracking a key twice from one channel is refused; updating or untracking an untracked key is refused", () => {
    const { endpoint, presence, channel } = setup();
    const alice = channel();
    presence.track(alice, "alice", {});
    expect(presence.track(alice, "alice", {})).toEqual({ ok: false, reason: "already_tracked" });
    expect(presence.update(alice, "bob", {})).toEqual({ ok: false, reason: "not_tracked" });
    expect(presence.untrack(alice, "bob")).toEqual({ ok: false, reason: "not_tracked" });
    expect(presence.update(channel(), "alice", {})).toEqual({ ok: false, reason: "not_tracked" });
    expect(endpoint.diffs()).toHaveLength(1);
  });

  it("a channel that leaves, crashes or loses its connection is untracked by itself, in one leaves diff", () => {
    for (const reason of ["leave", "crash", "closed", "normal"]) {
      const { endpoint, presence, channel } = setup();
      const alice = channel();
      const bob = channel();
      presence.track(alice, "alice", { n: 1 });
      presence.track(alice, "alice-bot", { n: 2 });
      presence.track(bob, "bob", {});
      alice.end(reason);
      expect(Object.keys(presence.list("presence:lobby")), reason).toEqual(["bob"]);
      const last = endpoint.diffs().at(-1);
      expect(last?.joins).toEqual({});
      expect(Object.keys(last?.leaves ?? {})).toEqual(["alice", "alice-bot"]);
      expect(endpoint.diffs()).toHaveLength(4);
    }
  });

  it("a terminated channel that had already untracked everything sends no empty diff", () => {
    const { endpoint, presence, channel } = setup();
    const alice = channel();
    presence.track(alice, "alice", {});
    presence.untrack(alice, "alice");
    alice.end("leave");
    expect(endpoint.diffs()).toHaveLength(2);
  });

  it("a channel that is already closed cannot track (nothing would ever untrack it)", () => {
    const { endpoint, presence, channel } = setup();
    const ghost = channel();
    ghost.end("closed");
    expect(presence.track(ghost, "ghost", {})).toEqual({ ok: false, reason: "channel_closed" });
    expect(presence.list("presence:lobby")).toEqual({});
    expect(endpoint.sent).toEqual([]);
  });

  it("topics are independent", () => {
    const { presence, channel } = setup();
    presence.track(channel("presence:a"), "alice", {});
    presence.track(channel("presence:b"), "bob", {});
    expect(Object.keys(presence.list("presence:a"))).toEqual(["alice"]);
    expect(Object.keys(presence.list("presence:b"))).toEqual(["bob"]);
    expect(presence.list("presence:none")).toEqual({});
  });

  it("every phx_ref is unique, across keys, channels and updates", () => {
    const { presence, channel } = setup();
    const refs = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const ch = channel();
      const a = presence.track(ch, `k${i % 7}`, { i });
      const b = presence.update(ch, `k${i % 7}`, { i: -i });
      if (a.ok) refs.add(a.ref);
      if (b.ok) refs.add(b.ref);
    }
    expect(refs.size).toBe(400);
    const other = new Presence(new FakeEndpoint());
    const r = other.track(channel(), "x", {});
    expect(r.ok && !refs.has(r.ref)).toBe(true);
  });

  it("keys such as __proto__ and constructor are plain keys; numbers become strings", () => {
    const { endpoint, presence, channel } = setup();
    presence.track(channel(), "__proto__", { evil: true });
    presence.track(channel(), "constructor", {});
    presence.track(channel(), 42, {});
    const list = presence.list("presence:lobby");
    expect(Object.keys(list).sort()).toEqual(["42", "__proto__", "constructor"]);
    expect(Object.getPrototypeOf(list)).toBe(Object.prototype);
    const wire = Object.getOwnPropertyDescriptor(JSON.parse(JSON.stringify(list)), "__proto__")?.value as { metas: Array<{ evil?: boolean }> };
    expect(wire.metas[0]?.evil).toBe(true);
    expect(Object.keys((endpoint.diffs()[0] as PresenceDiff).joins)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).evil).toBeUndefined();
  });

  it("phx_ref in the app's meta is replaced, and stored metas cannot be changed through list()", () => {
    const { presence, channel } = setup();
    const alice = channel();
    const meta = { name: "alice", phx_ref: "forged" };
    const r = presence.track(alice, "alice", meta);
    meta.name = "mallory";
    const listed = presence.list("presence:lobby").alice?.metas[0];
    expect(listed?.phx_ref).toBe(r.ok ? r.ref : "?");
    expect(listed?.name).toBe("alice");
    expect(Object.isFrozen(listed)).toBe(true);
  });

  it("a meta that is not an object is a usage error and changes nothing", () => {
    const { endpoint, presence, channel } = setup();
    const alice = channel();
    expect(() => presence.track(alice, "alice", null as unknown as PresenceMeta)).toThrow(UsageError);
    expect(() => presence.track(alice, "alice", [1] as unknown as PresenceMeta)).toThrow(UsageError);
    expect(presence.list("presence:lobby")).toEqual({});
    expect(endpoint.sent).toEqual([]);
    expect(presence.track(alice, "alice", {}).ok).toBe(true);
  });

  it("get returns one key's metas", () => {
    const { presence, channel } = setup();
    presence.track(channel(), "alice", { d: 1 });
    presence.track(channel(), "alice", { d: 2 });
    expect(presence.get("presence:lobby", "alice")?.metas.map((m) => m.d)).toEqual([1, 2]);
    expect(presence.get("presence:lobby", "bob")).toBeUndefined();
  });

  it("a fetch option enriches list() and diffs, like Phoenix.Presence's fetch/2", () => {
    const endpoint = new FakeEndpoint();
    const presence = new Presence(endpoint, {
      fetch: (_topic, entries) => {
        const out: Record<string, { metas: Array<{ phx_ref: string }>; user?: string }> = {};
        for (const [key, entry] of Object.entries(entries)) out[key] = { ...entry, user: key.toUpperCase() };
        return out;
      },
    });
    const ch = new FakeChannel("presence:lobby", endpoint);
    presence.track(ch, "alice", {});
    expect(presence.list("presence:lobby").alice).toHaveProperty("user", "ALICE");
    expect((endpoint.diffs()[0] as PresenceDiff).joins.alice).toHaveProperty("user", "ALICE");
  });

  it("untrackAll removes everything a channel tracks and reports how many", () => {
    const { presence, channel } = setup();
    const ch = channel();
    presence.track(ch, "a", {});
    presence.track(ch, "b", {});
    expect(presence.untrackAll(ch)).toBe(2);
    expect(presence.untrackAll(ch)).toBe(0);
    expect(presence.list("presence:lobby")).toEqual({});
    // it can track again afterwards
    expect(presence.track(ch, "a", {}).ok).toBe(true);
  });
});
