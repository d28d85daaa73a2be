/**
 * Public option, event-map and callback types of the client.
 * @module
 */
import type { ChannelState, Message } from "./protocol";
import type { EncodedFrame, RawFrame } from "./serializer";
import type { BackoffFn } from "./backoff";

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Connect or join params: a plain object, serialized into the URL or the join payload. */
export type Params = { [key: string]: unknown };

/**
 * Params as given: an object (of any declared type: an interface needs no index signature, as
 * with phoenix.js's `object`), or a function producing one (maybe asynchronously), re-read on
 * every (re)connect or rejoin.
 */
export type ParamsInput = object | (() => object | PromiseLike<object>);

/** The outcome of a push as `receive()` names it. */
export type PushStatus = "ok" | "error" | "timeout" | "dropped";

/** The logger signature of phoenix.js: `(kind, msg, data)`. */
export type Logger = (kind: string, msg: string, data?: unknown) => void;

/** What to do when a bounded buffer is full. */
export type OverflowPolicy = "drop-oldest" | "drop-newest" | "reject";

/** A storage such as `sessionStorage`. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The minimum a transport instance offers; browsers' `WebSocket`, `ws` and `LongPoll` all fit. */
export interface TransportLike {
  readyState: number;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

/** A transport class: `WebSocket`, `ws`, `LongPoll`, or a test double. */
export type TransportConstructor = new (url: string, protocols?: string | string[]) => TransportLike;

/** The callback-style encoder of phoenix.js. */
export type Encoder = (msg: Message, callback: (frame: EncodedFrame) => void) => void;
/**
 * The callback-style decoder of phoenix.js. Its `raw` parameter is checked bivariantly (declared
 * as a method), so a decoder written for text frames only, `(payload: string, callback) => void`
 * as @types/phoenix types it, is accepted too.
 */
export type Decoder = { decode(raw: RawFrame, callback: (msg: Message) => void): void }["decode"];

/** Information handed to the `beforeReconnect` hook. */
export interface ReconnectInfo {
  /** The attempt about to be made (1-based). */
  attempt: number;
}

/**
 * Reconnect policy of a socket.
 * @example
 * ```ts
 * const socket = new Socket(url, {reconnect: {maxAttempts: 20}})
 * socket.onStateChange(({to, error}) => { if (to === "failed") showOffline(error) })
 * ```
 */
export interface ReconnectPolicy {
  /**
   * Give up after this many reconnect attempts in a row that did not open a connection: the
   * socket stops retrying and reports `failed` (its `error` is a `ConnectionError` whose `cause`
   * is the last failure) until the app calls `connect()` again. Page and network events do not
   * revive a failed socket. Default unlimited, as phoenix.js.
   */
  maxAttempts?: number;
}

/** Options of `new Socket(endPoint, options)`. All of phoenix.js's, with its defaults, plus additions. */
export interface SocketOptions {
  /** Connect params (URL query), or a function (sync or async) re-read before every connect attempt. */
  params?: ParamsInput;
  /** Default push / join / leave timeout in ms. Default 10000. */
  timeout?: number;
  /** Heartbeat interval in ms. Default 30000. */
  heartbeatIntervalMs?: number;
  /** Delay before reconnect attempt `tries`. Default 10, 50, 100, 150, 200, 250, 500, 1000, 2000, then 5000 ms. */
  reconnectAfterMs?: BackoffFn;
  /** When to stop reconnecting. Default: never. */
  reconnect?: ReconnectPolicy;
  /** Delay before rejoin attempt `tries`. Default 1000, 2000, 5000, then 10000 ms. */
  rejoinAfterMs?: BackoffFn;
  /** `(kind, msg, data) => void`. */
  logger?: Logger;
  /** Log to the console when no logger is given. */
  debug?: boolean;
  /** Long-poll request timeout in ms. Default 20000. */
  longpollerTimeout?: number;
  /** Binary type of the WebSocket. Default "arraybuffer". */
  binaryType?: "arraybuffer" | "blob";
  /** Serializer version. Default "2.0.0"; "1.0.0" selects the V1 object serializer. */
  vsn?: string;
  /** A token sent as a `Sec-WebSocket-Protocol` entry instead of in the URL; may be an (async) function. */
  authToken?: string | (() => string | PromiseLike<string>);
  /** Custom encoder (phoenix.js callback style). */
  encode?: Encoder;
  /** Custom decoder (phoenix.js callback style). */
  decode?: Decoder;
  /**
   * Transport class. Default: the platform's WebSocket (the `ws` package in the Node entry), else
   * LongPoll. Any constructor is accepted, as in phoenix.js (and @types/phoenix): its instances
   * must behave like a {@link TransportLike}.
   */
  transport?: TransportConstructor | (new (endPoint: string) => object);
  /**
   * Storage remembering the long-poll fallback. Default: `sessionStorage` when usable, else in
   * memory. Typed `object` too, as in @types/phoenix: it must offer the {@link StorageLike} methods.
   */
  sessionStorage?: StorageLike | object;
  /** Fall back to LongPoll when WebSocket does not open and answer a ping within this many ms. */
  longPollFallbackMs?: number;
  /** Bound on the socket send buffer (messages queued while disconnected). Default unbounded. */
  maxBuffered?: number;
  /** What to drop when a buffer is full. Default "drop-oldest". */
  onOverflow?: OverflowPolicy;
  /** Runs (and is awaited) before every reconnect attempt, e.g. to refresh a token. */
  beforeReconnect?: (info: ReconnectInfo) => void | PromiseLike<void>;
  /** Install page/app lifecycle listeners on `connect()` (browsers only). Default true. */
  lifecycle?: boolean;
  /** Timeout of the liveness probe sent on resume / online, in ms. Default 2000 (capped by the heartbeat interval). */
  probeTimeoutMs?: number;
}

/** Rejoin policy of a channel. */
export interface RejoinPolicy {
  /** Return true for a join error reply that is final (e.g. unauthorized): the channel stops rejoining. */
  stopOn?: (reply: unknown) => boolean;
  /** Give up after this many failed join attempts in a row. Default unlimited. */
  maxAttempts?: number;
}

/** Options of `socket.channel(topic, params, options)`. */
export interface ChannelOptions {
  /** Bound on the channel push buffer (pushes made before the join completes). Default: the socket's `maxBuffered`. */
  maxBuffered?: number;
  /** Overflow policy of the push buffer. Default: the socket's `onOverflow`. */
  onOverflow?: OverflowPolicy;
  /** When to stop rejoining. */
  rejoin?: RejoinPolicy;
}

/** The observable states of a socket. */
export type SocketConnectionState = "connecting" | "open" | "reconnecting" | "waiting" | "closing" | "closed" | "failed";

/** The observable states of a channel: the five protocol states plus `failed` (gave up rejoining). */
export type ChannelLifecycleState = ChannelState | "failed";

/** One state transition, reported by `onStateChange`. */
export interface StateChange<S extends string> {
  from: S;
  to: S;
  /** Why, e.g. "connect", "heartbeat timeout", "transport closed", "join error". */
  reason: string;
  /** Attempt number of the reconnect/rejoin in progress (0 when none). */
  attempt: number;
  /** Delay before the next try, in ms, or `null` when none is scheduled. */
  nextRetryInMs: number | null;
  /** The underlying error, when there is one. */
  error?: unknown;
}

/**
 * Describes a channel's events for the type checker.
 * - `in`: events the server sends (payload by event name), for `on()` and `stream()`;
 * - `out`: events the client pushes (payload by event name), for `push()`;
 * - `replies`: the `ok` response of each pushed event;
 * - `join`: the `ok` response of the join.
 *
 * @example
 * ```ts
 * interface RoomEvents {
 *   in: { new_msg: { body: string } }
 *   out: { new_msg: { body: string } }
 *   replies: { new_msg: { id: number } }
 * }
 * const room = socket.channel<RoomEvents>("room:1")
 * room.on("new_msg", p => p.body)
 * const { id } = await room.push("new_msg", { body: "hi" })
 * ```
 */
export interface EventMap {
  in?: object;
  out?: object;
  replies?: object;
  join?: unknown;
}

/** The event map of an untyped channel: any event name, payloads of unknown shape. */
export interface UntypedEvents {
  in: { [event: string]: unknown };
  out: { [event: string]: object | ArrayBuffer | ArrayBufferView };
  replies: { [event: string]: unknown };
  join: unknown;
}

/** Control events every channel may bind, whatever its map. */
export type ControlEventName = "phx_close" | "phx_error" | "phx_reply" | "presence_state" | "presence_diff";

/** The `in` part of an event map (server events by name), or `{}`. */
export type InOf<E> = E extends { in: infer I } ? I : {};
/** The `out` part of an event map (client pushes by name), or `{}`. */
export type OutOf<E> = E extends { out: infer O } ? O : {};
/** The `replies` part of an event map (ok replies by pushed event), or `{}`. */
export type RepliesOf<E> = E extends { replies: infer R } ? R : {};

/** Server event names of a map (plus control events). */
export type InEvent<E> = (keyof InOf<E> & string) | ControlEventName;
/** Payload type of server event `K`. */
export type InPayload<E, K> = K extends keyof InOf<E> ? InOf<E>[K] : unknown;
/** Client event names of a map. */
export type OutEvent<E> = keyof OutOf<E> & string;
/** Payload type of client event `K`. */
export type OutPayload<E, K> = K extends keyof OutOf<E> ? OutOf<E>[K] : never;
/** The `ok` reply type of client event `K`. */
export type ReplyOf<E, K> = K extends keyof RepliesOf<E> ? RepliesOf<E>[K] : unknown;
/** The `ok` reply type of the join. */
export type JoinReplyOf<E> = E extends { join: infer J } ? J : unknown;

/** A binding callback: payload, the message ref and join_ref. */
export type BindingCallback<P = unknown> = (payload: P, ref?: string | null, joinRef?: string | null) => void;

/** One entry of `channel.bindings`, as in phoenix.js. */
export interface Binding {
  event: string;
  ref: number;
  callback: BindingCallback<never>;
}
