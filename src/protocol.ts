/**
 * Wire-protocol constants shared by the client and the reference server.
 * Nothing here touches a global or does I/O, so both sides (and every platform) can import it.
 * @module
 */

/** The serializer version a socket speaks unless told otherwise. */
export const DEFAULT_VSN = "2.0.0";
/** The older object-shaped JSON serializer. */
export const VSN_1 = "1.0.0";
/** Default push / join / leave timeout, in ms (phoenix.js default). */
export const DEFAULT_TIMEOUT = 10000;
/** Default heartbeat interval, in ms (phoenix.js default). */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30000;
/** Default long-poll request timeout, in ms (phoenix.js default). */
export const DEFAULT_LONGPOLLER_TIMEOUT = 20000;
/** WebSocket close code for a normal close (RFC 6455). */
export const WS_CLOSE_NORMAL = 1000;
/** The topic of the socket itself (heartbeats). */
export const PHOENIX_TOPIC = "phoenix";

/** `WebSocket.readyState` values, named as phoenix.js names them. */
export const SOCKET_STATES = { connecting: 0, open: 1, closing: 2, closed: 3 } as const;
/** A `WebSocket.readyState` value. */
export type SocketReadyState = (typeof SOCKET_STATES)[keyof typeof SOCKET_STATES];

/** The five states of a channel, as in phoenix.js. */
export const CHANNEL_STATES = {
  closed: "closed",
  errored: "errored",
  joined: "joined",
  joining: "joining",
  leaving: "leaving",
} as const;
/** A channel state. */
export type ChannelState = (typeof CHANNEL_STATES)[keyof typeof CHANNEL_STATES];

/** Control events of the protocol, as in phoenix.js. */
export const CHANNEL_EVENTS = {
  close: "phx_close",
  error: "phx_error",
  join: "phx_join",
  reply: "phx_reply",
  leave: "phx_leave",
} as const;
/** A control event name. */
export type ChannelEvent = (typeof CHANNEL_EVENTS)[keyof typeof CHANNEL_EVENTS];

/** Names of the client transports, as phoenix.js reports them. */
export const TRANSPORTS = { longpoll: "longpoll", websocket: "websocket" } as const;

/** Default socket reconnect schedule (ms by attempt, then the last value). */
export const RECONNECT_STEPS_MS: readonly number[] = [10, 50, 100, 150, 200, 250, 500, 1000, 2000];
/** Delay after the reconnect steps run out. */
export const RECONNECT_FINAL_MS = 5000;
/** Default channel rejoin schedule (ms by attempt, then the last value). */
export const REJOIN_STEPS_MS: readonly number[] = [1000, 2000, 5000];
/** Delay after the rejoin steps run out. */
export const REJOIN_FINAL_MS = 10000;

/** Kind byte of a binary frame. */
export const BINARY_KINDS = { push: 0, reply: 1, broadcast: 2 } as const;

/** Query parameter / header used for the long-poll session token. */
export const LONGPOLL_TOKEN_HEADER = "X-Phoenix-Longpoll-Token";
/** Header carrying the auth token over long-poll. */
export const AUTH_TOKEN_HEADER = "X-Phoenix-AuthToken";
/** Sub-protocol prefix carrying the auth token over WebSocket. */
export const AUTH_TOKEN_PREFIX = "base64url.bearer.phx.";
/** The sub-protocol a Phoenix 1.8 server answers with when it took the auth token. */
export const PHOENIX_SUBPROTOCOL = "phoenix";
/** Session-storage key remembering that WebSocket never worked here. */
export const FALLBACK_STORAGE_KEY = "phx:fallback:LongPoll";

/**
 * One protocol message, in the shape both serializers decode to.
 * `payload` is a JSON value, or an `ArrayBuffer` for binary frames.
 */
export interface Message<P = unknown> {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: P;
}

/** The payload of a `phx_reply`. */
export interface ReplyPayload<R = unknown> {
  status: string;
  response: R;
}
