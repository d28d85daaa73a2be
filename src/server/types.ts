/**
 * Public types of the reference server: channel definitions, the per-channel socket handed to
 * channel callbacks, and the results those callbacks return.
 * @module
 */
import type { ConnectInfo } from "./transport";

export type { ConnectInfo } from "./transport";

/** Whatever a connection keeps about its user: returned by `connect`, visible to every channel. */
export type Assigns = Record<string, unknown>;

/**
 * A message payload: a JSON value, or bytes (sent as a binary frame on V2 sockets).
 * Binary payloads arrive in channel callbacks as `ArrayBuffer`.
 */
export type Payload = unknown;

/** The part of the endpoint channel code may call: fan-out to every subscriber of a topic. */
export interface EndpointLike {
  /** Sends `event` to every connection that joined `topic`. */
  broadcast(topic: string, event: string, payload: Payload): void;
  /** Same as {@link EndpointLike.broadcast}, except the channel `from`. */
  broadcastFrom(from: ChannelSocket, topic: string, event: string, payload: Payload): void;
}

/**
 * One joined channel as its callbacks see it (Phoenix's `socket` inside a channel).
 * @example
 * ```ts
 * handleIn(event, payload, socket) {
 *   socket.push("notice", { text: `hello ${String(socket.assigns.user)}` });
 *   return noreply();
 * }
 * ```
 */
export interface ChannelSocket<A extends Assigns = Assigns> {
  /** The joined topic, e.g. "room:lobby". */
  readonly topic: string;
  /** The join_ref of the join that created this channel (null for V1 clients that send none). */
  readonly joinRef: string | null;
  /** The connection's assigns (from `connect`); channels may add to them. */
  assigns: A;
  /** The socket id from `connect` (`{assigns, id}` or the `id` option), or null. */
  readonly id: string | null;
  /** Which transport carries this connection, and what `connect` saw. */
  readonly connectInfo: ConnectInfo;
  /** The endpoint, for broadcasting from channel code. */
  readonly endpoint: EndpointLike;
  /** Pushes an event to this channel's client only. */
  push(event: string, payload: Payload): void;
  /** Broadcasts to every subscriber of this topic, this one included. */
  broadcast(event: string, payload: Payload): void;
  /** Broadcasts to every subscriber of this topic except this one. */
  broadcastFrom(event: string, payload: Payload): void;
  /**
   * Runs `cb` once when this channel ends: leave, crash, stop, replaced by a re-join, or its
   * connection dropping. `reason` is "leave", "normal", "crash", "closed" or the stop reason.
   */
  onTerminate(cb: (reason: string) => void): void;
  /**
   * Runs `cb` once the join reply has been sent and the channel receives broadcasts (Phoenix's
   * `send(self(), :after_join)`): the place to track presence or push initial state.
   */
  afterJoin(cb: () => void): void;
}

/** What `join` returns: accepted (with an optional reply) or refused (the reason is sent to the client). */
export type JoinResult = { ok: true; reply?: Payload } | { error: Payload };

/** A reply to a push: status "ok" or "error" with a response (JSON or bytes). */
export interface ReplyResult {
  reply: "ok" | "error";
  response: Payload;
}
/** No reply to this push. */
export interface NoReplyResult {
  noreply: true;
}
/** Stop the channel normally (the client gets phx_close); the push is not answered. */
export interface StopResult {
  stop: true;
  reason?: string;
}
/** What `handleIn` returns. */
export type HandleInResult = ReplyResult | NoReplyResult | StopResult;

export type MaybePromise<T> = T | Promise<T>;

/**
 * One channel route: what happens when a client joins a matching topic and pushes to it.
 * Throwing (or rejecting) in `handleIn` crashes the channel: the client gets `phx_error` and the
 * push no reply. Throwing in `join` answers the join with `{reason: "join crashed"}`, as Phoenix does.
 * @example
 * ```ts
 * const room: ChannelDef = {
 *   join: (topic, payload) => (payload && typeof payload === "object" && "reject" in payload ? refuse({ reason: "no" }) : joined()),
 *   handleIn: (event, payload) => (event === "echo" ? ok(payload) : noreply()),
 * };
 * ```
 */
export interface ChannelDef<A extends Assigns = Assigns> {
  join(topic: string, payload: Payload, socket: ChannelSocket<A>): MaybePromise<JoinResult>;
  /** Absent: every push crashes the channel, as an Elixir channel without a matching clause. */
  handleIn?(event: string, payload: Payload, socket: ChannelSocket<A>): MaybePromise<HandleInResult>;
  /** Called once when the channel ends, with the same reason as `onTerminate`. */
  terminate?(reason: string, socket: ChannelSocket<A>): void;
}

/** `connect`'s answer: the assigns, a refusal (`false`), or assigns with a socket id. */
export type ConnectResult<A extends Assigns = Assigns> = A | false | { assigns: A; id: string | null };

/** Accept a join, optionally with a reply payload. */
export function joined(reply?: Payload): JoinResult {
  return reply === undefined ? { ok: true } : { ok: true, reply };
}
/** Refuse a join; `reason` is the payload the client receives (e.g. `{reason: "unauthorized"}`). */
export function refuse(reason: Payload): JoinResult {
  return { error: reason };
}
/** Reply "ok" to a push. */
export function ok(response: Payload = {}): ReplyResult {
  return { reply: "ok", response };
}
/** Reply "error" to a push. */
export function error(response: Payload = {}): ReplyResult {
  return { reply: "error", response };
}
/** Do not reply to a push. */
export function noreply(): NoReplyResult {
  return { noreply: true };
}
/** Stop the channel normally. */
export function stop(reason = "normal"): StopResult {
  return { stop: true, reason };
}

/**
 * Where the server reports what it did not expect: channel crashes, refused connects, bad frames.
 * Every method is optional; the default logger prints errors and warnings to the console.
 */
export interface Logger {
  debug?(message: string, meta?: Record<string, unknown>): void;
  warn?(message: string, meta?: Record<string, unknown>): void;
  error?(message: string, meta?: Record<string, unknown>): void;
}
