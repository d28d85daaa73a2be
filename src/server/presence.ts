/**
 * Server-side Presence: who is on a topic, with which metas, as Phoenix.Presence does it on a
 * single node. Every change is broadcast to the topic as `presence_diff` `{joins, leaves}`; every
 * meta carries a unique `phx_ref` (and `phx_ref_prev` after an update) so clients can tell a
 * device that left and came back from one that never left.
 * Node only.
 * @module
 */
import { randomBytes } from "node:crypto";
import { UsageError } from "../errors";
import type { ChannelSocket, EndpointLike } from "./types";

/** The metas an app tracks; phx-channels adds `phx_ref` (and `phx_ref_prev`). */
export type PresenceMeta = Record<string, unknown>;

/** One tracked meta as clients see it. */
export type TrackedMeta<M extends PresenceMeta = PresenceMeta> = M & { phx_ref: string; phx_ref_prev?: string };

/** Everything known about one key: one meta per tracking channel (e.g. per device). */
export interface PresenceEntry<M extends PresenceMeta = PresenceMeta> {
  metas: Array<TrackedMeta<M>>;
}

/** `presence_state`: key → its metas. */
export type PresenceState<M extends PresenceMeta = PresenceMeta> = Record<string, PresenceEntry<M>>;

/** `presence_diff`: what joined and what left since the last diff. */
export interface PresenceDiff<M extends PresenceMeta = PresenceMeta> {
  joins: PresenceState<M>;
  leaves: PresenceState<M>;
}

/** Why a presence operation did nothing. */
export type PresenceFailure = "already_tracked" | "not_tracked" | "channel_closed";

/** The result of track/update/untrack: the new (or removed) `phx_ref`, or why nothing happened. */
export type PresenceResult = { ok: true; ref: string } | { ok: false; reason: PresenceFailure };

/** Options of a {@link Presence}. */
export interface PresenceOptions<M extends PresenceMeta = PresenceMeta> {
  /**
   * Phoenix's `fetch/2`: enriches what `list` returns and what diffs carry (e.g. load user
   * records for the keys). Must be synchronous and must not drop keys.
   */
  fetch?(topic: string, presences: PresenceState<M>): PresenceState<M>;
}

/** The part of an endpoint Presence needs. */
export type PresenceEndpoint = Pick<EndpointLike, "broadcast">;

interface Entry<M extends PresenceMeta> {
  readonly socket: ChannelSocket;
  readonly topic: string;
  readonly key: string;
  meta: TrackedMeta<M>;
}

const DIFF_EVENT = "presence_diff";

/**
 * Tracks presences per topic and broadcasts their diffs.
 *
 * A tracked presence belongs to one channel (`socket`) and disappears by itself, with a
 * `leaves` diff, when that channel leaves, crashes, stops, or its connection drops.
 * Operations cost O(1) in the number of keys on the topic; `list` is O(keys).
 * @example
 * ```ts
 * const presence = new Presence(endpoint);
 * const lobby: ChannelDef = {
 *   join(topic, payload, socket) {
 *     socket.afterJoin(() => {
 *       presence.track(socket, String(socket.assigns.user_id), { online_at: Date.now() });
 *       socket.push("presence_state", presence.list(socket.topic));
 *     });
 *     return joined();
 *   },
 * };
 * ```
 */
export class Presence<M extends PresenceMeta = PresenceMeta> {
  /** topic → key → entries (insertion order = the order metas are listed in). */
  private readonly topics = new Map<string, Map<string, Set<Entry<M>>>>();
  /** channel → key → its entry: a channel tracks a key at most once. */
  private readonly bySocket = new Map<ChannelSocket, Map<string, Entry<M>>>();
  private readonly refPrefix = randomBytes(4);
  private refCounter = BigInt(Date.now()) * 1000n;

  constructor(
    private readonly endpoint: PresenceEndpoint,
    private readonly options: PresenceOptions<M> = {},
  ) {}

  /**
   * Tracks `key` with `meta` for this channel on `socket.topic` and broadcasts a `joins` diff.
   * @returns `{ok: true, ref}` (the new `phx_ref`), or `already_tracked` when this channel
   * already tracks `key` (use {@link Presence.update}), or `channel_closed`.
   * @throws UsageError when `meta` is not a plain object.
   */
  track(socket: ChannelSocket, key: string | number, meta: M): PresenceResult {
    const k = String(key);
    if (isClosed(socket)) return { ok: false, reason: "channel_closed" };
    let own = this.bySocket.get(socket);
    if (own?.has(k)) return { ok: false, reason: "already_tracked" };
    const stamped = this.stamp(meta);
    if (own === undefined) {
      own = new Map();
      this.bySocket.set(socket, own);
      // Registered once per channel: untracks everything the channel tracked, in one diff.
      socket.onTerminate(() => this.untrackAll(socket));
    }
    const entry: Entry<M> = { socket, topic: socket.topic, key: k, meta: stamped };
    own.set(k, entry);
    let keys = this.topics.get(entry.topic);
    if (keys === undefined) this.topics.set(entry.topic, (keys = new Map()));
    let entries = keys.get(k);
    if (entries === undefined) keys.set(k, (entries = new Set()));
    entries.add(entry);
    this.broadcastDiff(entry.topic, [entry.key, entry.meta], null);
    return { ok: true, ref: entry.meta.phx_ref };
  }

  /**
   * Replaces the meta this channel tracks for `key` (or computes it from the old one) and
   * broadcasts a diff: the new meta (with `phx_ref_prev`) in `joins`, the old one in `leaves`.
   * The function form receives the old meta without `phx_ref`/`phx_ref_prev`.
   */
  update(socket: ChannelSocket, key: string | number, meta: M | ((previous: M) => M)): PresenceResult {
    const k = String(key);
    const entry = this.bySocket.get(socket)?.get(k);
    if (entry === undefined) return { ok: false, reason: "not_tracked" };
    const previous = entry.meta;
    const next = typeof meta === "function" ? meta(stripRefs(previous)) : meta;
    entry.meta = this.stamp(next, previous.phx_ref);
    this.broadcastDiff(entry.topic, [k, entry.meta], [k, previous]);
    return { ok: true, ref: entry.meta.phx_ref };
  }

  /** Stops tracking `key` for this channel and broadcasts a `leaves` diff. */
  untrack(socket: ChannelSocket, key: string | number): PresenceResult {
    const k = String(key);
    const own = this.bySocket.get(socket);
    const entry = own?.get(k);
    if (own === undefined || entry === undefined) return { ok: false, reason: "not_tracked" };
    own.delete(k);
    if (own.size === 0) this.bySocket.delete(socket);
    this.remove(entry);
    this.broadcastDiff(entry.topic, null, [k, entry.meta]);
    return { ok: true, ref: entry.meta.phx_ref };
  }

  /**
   * Stops tracking everything this channel tracks, with one `leaves` diff. Called by itself
   * when the channel terminates; exposed for apps that want to go invisible without leaving.
   * @returns how many presences were removed.
   */
  untrackAll(socket: ChannelSocket): number {
    const own = this.bySocket.get(socket);
    if (own === undefined) return 0;
    this.bySocket.delete(socket);
    const leaves: PresenceState<M> = {};
    for (const entry of own.values()) {
      this.remove(entry);
      addMeta(leaves, entry.key, entry.meta);
    }
    if (own.size > 0) this.send(socket.topic, { joins: {}, leaves });
    return own.size;
  }

  /**
   * Everyone on `topic`: key → `{metas}`. A fresh object each call (safe to hand to
   * `socket.push("presence_state", ...)`); keys such as `__proto__` are plain keys.
   */
  list(topic: string): PresenceState<M> {
    const out: PresenceState<M> = {};
    const keys = this.topics.get(topic);
    if (keys !== undefined) {
      for (const [key, entries] of keys) {
        const metas: Array<TrackedMeta<M>> = [];
        for (const entry of entries) metas.push(entry.meta);
        setOwn(out, key, { metas });
      }
    }
    return this.options.fetch ? this.options.fetch(topic, out) : out;
  }

  /** The metas of one key on `topic`, or undefined when nobody tracks it. */
  get(topic: string, key: string | number): PresenceEntry<M> | undefined {
    const entries = this.topics.get(topic)?.get(String(key));
    if (entries === undefined) return undefined;
    return { metas: [...entries].map((e) => e.meta) };
  }

  private remove(entry: Entry<M>): void {
    const keys = this.topics.get(entry.topic);
    const entries = keys?.get(entry.key);
    if (keys === undefined || entries === undefined) return;
    entries.delete(entry);
    if (entries.size === 0) keys.delete(entry.key);
    if (keys.size === 0) this.topics.delete(entry.topic);
  }

  private broadcastDiff(topic: string, join: [string, TrackedMeta<M>] | null, leave: [string, TrackedMeta<M>] | null): void {
    const diff: PresenceDiff<M> = { joins: {}, leaves: {} };
    if (join) addMeta(diff.joins, join[0], join[1]);
    if (leave) addMeta(diff.leaves, leave[0], leave[1]);
    this.send(topic, diff);
  }

  private send(topic: string, diff: PresenceDiff<M>): void {
    const fetch = this.options.fetch;
    const payload = fetch ? { joins: fetch(topic, diff.joins), leaves: fetch(topic, diff.leaves) } : diff;
    this.endpoint.broadcast(topic, DIFF_EVENT, payload);
  }

  /** A frozen copy of `meta` with a fresh `phx_ref` (and `phx_ref_prev` on update). */
  private stamp(meta: M, previousRef?: string): TrackedMeta<M> {
    if (typeof meta !== "object" || meta === null || Array.isArray(meta)) {
      throw new UsageError("a presence meta must be a plain object, e.g. {online_at: Date.now()}");
    }
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(meta)) {
      if (k !== "phx_ref" && k !== "phx_ref_prev") setOwn(out, k, meta[k]);
    }
    out.phx_ref = this.nextRef();
    if (previousRef !== undefined) out.phx_ref_prev = previousRef;
    return Object.freeze(out) as TrackedMeta<M>;
  }

  /** Unique for this Presence (a counter), and unlikely to repeat across restarts (time seed, random prefix). */
  private nextRef(): string {
    const buf = Buffer.alloc(12);
    this.refPrefix.copy(buf, 0);
    buf.writeBigUInt64BE(BigInt.asUintN(64, this.refCounter++), 4);
    return buf.toString("base64url");
  }
}

function isClosed(socket: ChannelSocket): boolean {
  // Not in the ChannelSocket contract; the core's channel exposes it, and tracking a closed
  // channel would leak a presence that no terminate callback will ever remove.
  return (socket as { closed?: unknown }).closed === true;
}

function stripRefs<M extends PresenceMeta>(meta: TrackedMeta<M>): M {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(meta)) if (k !== "phx_ref" && k !== "phx_ref_prev") setOwn(out, k, meta[k]);
  return out as M;
}

function addMeta<M extends PresenceMeta>(state: PresenceState<M>, key: string, meta: TrackedMeta<M>): void {
  const existing = Object.prototype.hasOwnProperty.call(state, key) ? state[key] : undefined;
  if (existing) existing.metas.push(meta);
  else setOwn(state, key, { metas: [meta] });
}

/** Assigns even `__proto__` as a plain own key. */
function setOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
