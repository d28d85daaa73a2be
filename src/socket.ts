/**
 * Socket: the connection — lifecycle, heartbeat, reconnect, send buffer, and the topic registry
 * that dispatches each inbound message in O(1) of the number of channels.
 * @module
 */
import {
  AUTH_TOKEN_PREFIX,
  CHANNEL_EVENTS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_LONGPOLLER_TIMEOUT,
  DEFAULT_TIMEOUT,
  DEFAULT_VSN,
  FALLBACK_STORAGE_KEY,
  PHOENIX_TOPIC,
  SOCKET_STATES,
  VSN_1,
  WS_CLOSE_NORMAL,
  type Message,
} from "./protocol";
import { ConnectionError, DecodeError, PhxError, UsageError } from "./errors";
import { Serializer, V1Serializer, decodeV1, decodeV2, encodeV1, encodeV2, type RawFrame } from "./serializer";
import { defaultReconnectAfterMs, defaultRejoinAfterMs, type BackoffFn } from "./backoff";
import { Timer } from "./timer";
import { Channel } from "./channel";
import type { Push } from "./push";
import { assertFunction, isThenable, iterate, noop, safeCall, type IterateOptions } from "./emitter";
import { LongPoll, encodeBase64 } from "./transports/longpoll";
import { globalWebSocket } from "./transports/websocket";
import { installLifecycle } from "./lifecycle";
import type {
  ChannelOptions,
  Decoder,
  Encoder,
  EventMap,
  Logger,
  OverflowPolicy,
  Params,
  ParamsInput,
  SocketConnectionState,
  SocketOptions,
  StateChange,
  StorageLike,
  TransportConstructor,
  TransportLike,
  UntypedEvents,
} from "./types";

/** The close event shape callbacks receive (a real `CloseEvent`, or ours when we closed the socket ourselves). */
export interface CloseEventLike {
  code?: number;
  reason?: string;
  wasClean?: boolean;
  type?: string;
}

/** A transport instance as the socket drives it. */
export interface Conn extends TransportLike {
  binaryType?: string;
  timeout?: number;
  skipHeartbeat?: boolean;
  bufferedAmount?: number;
  onopen: ((event?: unknown) => void) | null;
  onerror: ((event?: unknown) => void) | null;
  onmessage: ((event: { data: RawFrame }) => void) | null;
  onclose: ((event?: CloseEventLike) => void) | null;
}

/** An `onOpen` callback. */
export type OpenCallback = () => void;
/** An `onClose` callback. */
export type CloseCallback = (event: CloseEventLike) => void;
/** An `onError` callback: the error, the transport class in use and how many connections had opened by then. */
export type ErrorCallback = (error: unknown, transport: TransportConstructor, establishedConnections: number) => void;
/** An `onMessage` callback. */
export type MessageCallback = (msg: Message) => void;

/** `socket.stateChangeCallbacks`, as in phoenix.js: lists of `[ref, callback]`. */
export interface StateChangeCallbacks {
  open: Array<[string, OpenCallback]>;
  close: Array<[string, CloseCallback]>;
  error: Array<[string, ErrorCallback]>;
  message: Array<[string, MessageCallback]>;
}

/** A queued send; `push` lets a bounded buffer tell which push it drops. */
export interface BufferedSend {
  (): void;
  push?: Push<unknown> | undefined;
}

/**
 * The long-poll fallback in progress: `_primary` until we switched, `_established` once the primary
 * opened. Internal (`_` names are shortened by the minifier).
 */
interface FallbackAttempt {
  _transport: TransportConstructor;
  _ms: number;
  _primary: boolean;
  _established: boolean;
}

/** One socket state transition, as `onStateChange` and `states()` report it. */
export type SocketStateChange = StateChange<SocketConnectionState>;

/**
 * How long `disconnect(callback)` waits at most for the transport to report its close before
 * calling `callback` anyway: a peer that vanished never completes the close handshake, and the
 * app must not hang on it. phoenix.js polls `readyState` for about as long (150 ms steps).
 */
export const DISCONNECT_CLOSE_WAIT_MS = 1500;
/** How often that wait checks `readyState`, for transports that close without an event. */
const DISCONNECT_POLL_MS = 150;

const LP = LongPoll as unknown as TransportConstructor;

function toFn<T>(value: T | (() => T)): () => T {
  return typeof value === "function" ? (value as () => T) : () => value;
}

/** An auth token as sent: `""`, null and undefined mean none. */
function tokenOf(t: unknown): string | undefined {
  return t === "" || t == null ? undefined : String(t);
}

function isRef(value: unknown): value is string | null {
  return value === null || typeof value === "string";
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `key=value` pairs in Phoenix's `a[b]=c` form. */
function serialize(obj: Params, parentKey?: string): string[] {
  return Object.keys(obj).flatMap((key) => {
    const paramKey = parentKey ? `${parentKey}[${key}]` : key;
    const value = obj[key];
    // null is an object to phoenix.js's serializer too: it adds nothing to the URL.
    return typeof value !== "object"
      ? `${encodeURIComponent(paramKey)}=${encodeURIComponent(String(value))}`
      : value
        ? serialize(value as Params, paramKey)
        : [];
  });
}

/** A heartbeat message, shaped as phoenix.js passes it to `socket.push` (no `join_ref` key). */
function heartbeat(ref: string): Message {
  return { topic: PHOENIX_TOPIC, event: "heartbeat", payload: {}, ref } as Message;
}

/** Appends params to a URL in Phoenix's `a[b]=c` form. */
export function appendParams(url: string, params: Params): string {
  const query = serialize(params).join("&");
  return query ? `${url}${url.includes("?") ? "&" : "?"}${query}` : url;
}

/**
 * Base64 of the token's UTF-8 bytes without padding — what Phoenix 1.8 decodes from the
 * `base64url.bearer.phx.` sub-protocol (standard alphabet, as phoenix.js's `btoa`), without
 * `btoa`'s Latin-1 limit or its absence on some platforms.
 */
export function encodeAuthToken(token: string): string {
  return encodeBase64(new TextEncoder().encode(token)).replace(/=+$/, "");
}

/** Wraps a storage so a throwing or missing one (private mode, Node, React Native) falls back to memory. */
function safeStorage(given: StorageLike | undefined): StorageLike {
  const memory = new Map<string, string>();
  // Looked up at each call, inside the try: touching sessionStorage itself may throw (a
  // SecurityError), and so may any call (a quota error). Memory answers then.
  const store = (): StorageLike | undefined => given || (globalThis as { sessionStorage?: StorageLike }).sessionStorage;
  return {
    getItem(key) {
      try {
        const s = store();
        if (s) return s.getItem(key);
      } catch {
        /* memory below */
      }
      return memory.get(key) ?? null;
    },
    setItem(key, value) {
      memory.set(key, value);
      try {
        store()?.setItem(key, value);
      } catch {
        /* kept in memory */
      }
    },
    removeItem(key) {
      memory.delete(key);
      try {
        store()?.removeItem(key);
      } catch {
        /* removed from memory */
      }
    },
  };
}

/**
 * A connection to a Phoenix socket endpoint, multiplexing channels.
 *
 * @example
 * ```ts
 * const socket = new Socket("wss://example.com/socket", {params: {token}})
 * socket.connect()
 * const room = socket.channel("room:lobby")
 * await room.join()
 * ```
 */
export class Socket {
  /** `open`/`close`/`error`/`message` callbacks as `[ref, callback]` lists. */
  stateChangeCallbacks: StateChangeCallbacks = { open: [], close: [], error: [], message: [] };
  /** Every channel created on this socket and not removed. */
  channels: Channel[] = [];
  /** Sends queued while disconnected, flushed in order on open. */
  sendBuffer: BufferedSend[] = [];
  /** The last ref handed out. */
  ref = 0;
  /** Default push timeout, ms. */
  timeout: number;
  /** The transport class. */
  transport: TransportConstructor;
  /** Opened connections so far. */
  establishedConnections = 0;
  /** The encoder. */
  encode: Encoder;
  /** The decoder. */
  decode: Decoder;
  /** True when the last close was asked for (no reconnect). */
  closeWasClean = true;
  /** The WebSocket binary type. */
  binaryType: "arraybuffer" | "blob";
  /** Heartbeat interval, ms. */
  heartbeatIntervalMs: number;
  /** Rejoin schedule. */
  rejoinAfterMs: BackoffFn;
  /** Reconnect schedule. */
  reconnectAfterMs: BackoffFn;
  /** The logger, or null. */
  logger: Logger | null;
  /** Long-poll request timeout, ms. */
  longpollerTimeout: number;
  /** Connect params, always a function. */
  params: () => Params | PromiseLike<Params>;
  /** The endpoint including the `/websocket` suffix. */
  endPoint: string;
  /** Serializer version. */
  vsn: string;
  /** The current transport instance. */
  conn: Conn | null = null;
  /** Timer that sends the next heartbeat. */
  heartbeatTimer: ReturnType<typeof setTimeout> | null = null;
  /** Timer that declares the pending heartbeat lost. */
  heartbeatTimeoutTimer: ReturnType<typeof setTimeout> | null = null;
  /** Ref of the heartbeat awaiting its reply. */
  pendingHeartbeatRef: string | null = null;
  /** Schedules reconnects. */
  reconnectTimer: Timer;
  /** The auth token provider, if any. */
  authToken: (() => string | PromiseLike<string>) | undefined;
  /** The long-poll fallback window, if any. */
  longPollFallbackMs: number | undefined;
  /** Timer of the long-poll fallback. */
  fallbackTimer: ReturnType<typeof setTimeout> | null = null;
  /** True once WebSocket opened and answered a ping here. */
  primaryPassedHealthCheck = false;
  /** Storage of the fallback memory. */
  sessionStore: StorageLike;
  /** Incremented on every connect/disconnect/transport change. */
  connectClock = 1;
  /** Bound on the send buffer (and default for channel push buffers). */
  maxBuffered: number;
  /** Overflow policy of the buffers. */
  onOverflow: OverflowPolicy;

  /** @internal The channel whose join is calling `leaveOpenTopic` (it must not leave itself). */
  _joining?: Channel | null;
  /** @internal Pushes awaiting a reply, by ref. */
  readonly _replies = new Map<string, Push<unknown>>();
  /** @internal Channels by topic, built from `channels` (see `_syncTopics`). */
  private readonly _topics = new Map<string, Channel[]>();
  /** The `channels` array and length `_topics` was built from. */
  private _indexed?: Channel[];
  private _indexedLength?: number;
  /** `ping()` callbacks and their start times, by ref. */
  private readonly _pings = new Map<string, [number, (rtt: number) => void]>();
  private readonly _options: SocketOptions;
  private _listeners?: Set<(change: SocketStateChange) => void>;
  private _state: SocketConnectionState = "closed";
  private _userClosed = true;
  private _suspended?: boolean;
  private _attemptClock = 0;
  private _connecting?: boolean;
  // Credentials resolved for the attempt being dialed (`_dialing`), kept afterwards for transports
  // opened outside an attempt (the LongPoll fallback) when the providers are async.
  private _paramsValue?: Params;
  private _tokenValue?: string;
  private _dialing?: boolean;
  private _fallback?: FallbackAttempt | null;
  private _uninstallLifecycle?: (() => void) | null;
  private _probeTimer?: ReturnType<typeof setTimeout> | null;
  // Callbacks of `disconnect()` waiting for the last disconnected transport to finish closing.
  private _closeWaiters?: Array<() => void> | null;
  // `conn` reported its close. It stays in `conn`, as in phoenix.js (code written for it reads
  // `socket.conn` or calls its handlers after a close), until the next transport replaces it or
  // disconnect() clears it, but no longer counts as a connection (see `_live`).
  private _connEnded?: boolean;
  // Gave up reconnecting (`reconnect.maxAttempts`): stays down until `connect()`.
  private _failed?: boolean;
  private readonly _maxReconnectAttempts: number;

  constructor(endPoint: string, opts: SocketOptions = {}) {
    if (typeof endPoint !== "string" || !endPoint) throw new UsageError("Socket endPoint must be a non-empty string");
    this._options = opts;
    this.timeout = opts.timeout || DEFAULT_TIMEOUT;
    this.transport = (opts.transport as TransportConstructor | undefined) || globalWebSocket() || LP;
    this.longPollFallbackMs = opts.longPollFallbackMs;
    this.sessionStore = safeStorage(opts.sessionStorage as StorageLike | undefined);
    const v1 = (this.vsn = opts.vsn || DEFAULT_VSN) === VSN_1;
    // LongPoll always speaks the default serializer, as in phoenix.js.
    const custom = this.transport !== LP;
    // The defaults are compared by identity on the hot paths, which then skip the callback form.
    const serializer = v1 ? V1Serializer : Serializer;
    this.encode = (custom && opts.encode) || serializer.encode;
    this.decode = (custom && opts.decode) || serializer.decode;
    this.binaryType = opts.binaryType || "arraybuffer";
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs || DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.rejoinAfterMs = opts.rejoinAfterMs || defaultRejoinAfterMs;
    this.reconnectAfterMs = opts.reconnectAfterMs || defaultReconnectAfterMs;
    this.logger = opts.logger || (opts.debug ? (kind, msg, data) => console.log(`${kind}: ${msg}`, data) : null);
    this.longpollerTimeout = opts.longpollerTimeout || DEFAULT_LONGPOLLER_TIMEOUT;
    this.params = toFn((opts.params || {}) as Params | (() => Params | PromiseLike<Params>));
    this.endPoint = `${endPoint}/websocket`;
    // "" means no token, as in phoenix.js.
    this.authToken = opts.authToken ? toFn(opts.authToken) : undefined;
    this.maxBuffered = opts.maxBuffered ?? Infinity;
    this.onOverflow = opts.onOverflow ?? "drop-oldest";
    this.reconnectTimer = new Timer(() => this._reconnectNow(), (tries) => this.reconnectAfterMs(tries));
    const max = (this._maxReconnectAttempts = opts.reconnect?.maxAttempts ?? Infinity);
    if (max !== Infinity && !(Number.isInteger(max) && max >= 0)) {
      throw new UsageError(`reconnect.maxAttempts must be an integer >= 0 or Infinity, got ${String(max)}`);
    }
  }

  // ------------------------------------------------------------------ public API

  /** The LongPoll transport class. */
  getLongPollTransport(): TransportConstructor {
    return LP;
  }

  /** Closes the current connection and uses `newTransport` from the next connect on. @returns the new connect clock. */
  replaceTransport(newTransport: TransportConstructor): number {
    const clock = ++this.connectClock;
    this.closeWasClean = true;
    this._clearFallbackTimer();
    this.reconnectTimer.reset();
    const conn = this._forgetEnded();
    if (conn && this._shut(conn)) this.triggerChanError();
    this.transport = newTransport;
    return clock;
  }

  /**
   * The name of a transport class for logs: "LongPoll" for ours even when a minifier renamed it.
   * @example
   * ```ts
   * socket.transportName(socket.transport) // "WebSocket"
   * ```
   */
  transportName(transport: TransportConstructor): string {
    return transport === LP ? "LongPoll" : transport.name;
  }

  /** `"wss"` on an https page, else `"ws"`. */
  protocol(): "ws" | "wss" {
    const loc = (globalThis as { location?: { protocol?: unknown } }).location;
    return loc && /^https/.test(loc.protocol as string) ? "wss" : "ws";
  }

  /**
   * The full URL the transport connects to, with params and `vsn`.
   * @throws UsageError for a relative endpoint where there is no page location (Node, workers without one).
   */
  endPointURL(): string {
    return this._url(this._fresh(this.params, this._paramsValue) ?? {});
  }

  /**
   * Disconnects and stays disconnected (no reconnect, no lifecycle resurrection) until `connect()`.
   * Our handlers are detached at once, so nothing reconnects, and `connect()` may be called
   * again right away.
   * @param callback called once the transport has actually closed (its close event, or
   *   `readyState` CLOSED), or after {@link DISCONNECT_CLOSE_WAIT_MS} if it never does; at once
   *   when there is no connection. Called exactly once.
   * @param code close code
   * @param reason close reason
   * @example
   * ```ts
   * await new Promise<void>((resolve) => socket.disconnect(resolve, 1000, "logout"))
   * ```
   */
  disconnect(callback?: () => void, code?: number, reason?: string): void {
    this._userClosed = true;
    this._suspended = this._failed = false;
    this.connectClock++;
    this._halt(true);
    this._uninstallLifecycle?.();
    this._uninstallLifecycle = null;
    this.teardown(callback, code, reason);
  }

  /**
   * Connects (no-op while connected or connecting).
   * @param params deprecated, as in phoenix.js: pass `params` to the constructor.
   * @throws UsageError for a relative endpoint where there is no page location.
   */
  connect(params?: ParamsInput): void {
    if (params) {
      // Always said, logger or not, as phoenix.js does: it is a migration hint.
      console.log("passing params to connect is deprecated. Instead pass :params to the Socket constructor");
      this.params = toFn(params as Params | (() => Params | PromiseLike<Params>));
    }
    this._userClosed = this._suspended = false;
    if (this._failed) {
      // A new start after giving up: the attempt count starts over.
      this._failed = false;
      this.reconnectTimer.reset();
    }
    if (this._live() || this._connecting) return;
    // A relative endpoint without a page location can never work: say so now, not on every retry.
    this._url({});
    if (this._options.lifecycle !== false) this._uninstallLifecycle ||= installLifecycle(this);
    this.reconnectTimer.cancel();
    this._startConnect("connect");
  }

  /** Logs through the logger, if any. */
  log(kind: string, msg: string, data?: unknown): void {
    if (this.logger) this.logger(kind, msg, data);
  }

  /** Logs a "transport" entry, with the arguments given (no padding `undefined`s for spies to see). */
  private _logTransport(...args: [msg: string, data?: unknown]): void {
    this.log("transport", ...args);
  }

  /** True if a logger is set. */
  hasLogger(): boolean {
    return this.logger !== null;
  }

  /** Registers a `stateChangeCallbacks` entry (the `onOpen`/`onClose`/`onError`/`onMessage` body). */
  private _on<K extends keyof StateChangeCallbacks>(kind: K, callback: StateChangeCallbacks[K][number][1]): string {
    assertFunction(callback, `the ${kind} callback`);
    const ref = this.makeRef();
    (this.stateChangeCallbacks[kind] as Array<[string, typeof callback]>).push([ref, callback]);
    return ref;
  }

  /** Calls the `kind` callbacks registered before this call with exactly `args`. */
  private _emit(kind: "open" | "close" | "error", ...args: [a?: unknown, b?: unknown, c?: unknown]): void {
    for (const [, callback] of this.stateChangeCallbacks[kind].slice()) safeCall(callback, ...args);
  }

  /** Calls `callback` when the connection opens. @returns a ref for `off()`. */
  onOpen(callback: OpenCallback): string {
    return this._on("open", callback);
  }

  /**
   * Calls `callback(event)` when the connection closes. @returns a ref for `off()`.
   * `E` lets a callback typed for the browser's `CloseEvent` (as @types/phoenix types it) be
   * passed as is; the event always has the {@link CloseEventLike} fields.
   */
  onClose<E extends CloseEventLike = CloseEventLike>(callback: (event: E) => void): string {
    return this._on("close", callback as CloseCallback);
  }

  /**
   * Calls `callback(error, transport, establishedConnections)` on transport errors and on
   * frames that cannot be decoded (a {@link DecodeError}). @returns a ref for `off()`.
   * `Err` lets a callback that declares what it expects (`Event | string | number` in
   * @types/phoenix) be passed as is; anything may arrive, so check before use.
   */
  onError<Err = unknown>(
    callback: (error: Err, transport: TransportConstructor, establishedConnections: number) => void,
  ): string {
    return this._on("error", callback as ErrorCallback);
  }

  /** Calls `callback(msg)` for every inbound message. @returns a ref for `off()`. */
  onMessage(callback: MessageCallback): string {
    return this._on("message", callback);
  }

  /** Removes the callbacks registered under `refs`. */
  off(refs: readonly string[]): void {
    const cbs = this.stateChangeCallbacks as unknown as Record<string, Array<[string, unknown]>>;
    for (const kind in cbs) cbs[kind] = (cbs[kind] as Array<[string, unknown]>).filter(([ref]) => !refs.includes(ref));
  }

  /**
   * Sends a heartbeat and calls `callback(rttMs)` when the server answers.
   * @returns false when not connected.
   */
  ping(callback: (rtt: number) => void): boolean {
    assertFunction(callback, "the ping callback");
    if (!this.isConnected()) return false;
    const ref = this.makeRef();
    this._pings.set(ref, [Date.now(), callback]);
    this.push(heartbeat(ref));
    return true;
  }

  /** "connecting", "open", "closing" or "closed", from the transport's readyState. */
  connectionState(): "connecting" | "open" | "closing" | "closed" {
    // Indexed by readyState (0 connecting, 1 open, 2 closing, 3 closed).
    return (["connecting", "open", "closing"] as const)[this.conn?.readyState as number] || "closed";
  }

  /** True when the transport is open. */
  isConnected(): boolean {
    return this.conn?.readyState === SOCKET_STATES.open;
  }

  /** The observable state (see `onStateChange`). */
  get state(): SocketConnectionState {
    return this._state;
  }

  /** Removes a channel from the socket and its registry. */
  remove(channel: Channel): void {
    const topics = this._syncTopics();
    const not = (c: Channel): boolean => c !== channel;
    // A new array, as phoenix.js does, so loops over the old one are not disturbed.
    const next = (this.channels = this._indexed = this.channels.filter(not));
    this._indexedLength = next.length;
    const rest = (topics.get(channel.topic) || []).filter(not);
    if (rest.length) topics.set(channel.topic, rest);
    else topics.delete(channel.topic);
  }

  /**
   * Creates a channel for `topic` (join it with `channel.join()`).
   * @example
   * ```ts
   * const room = socket.channel<RoomEvents>("room:1", {token}, {rejoin: {maxAttempts: 5}})
   * ```
   */
  channel<E extends EventMap = UntypedEvents>(topic: string, chanParams?: ParamsInput, options?: ChannelOptions): Channel<E> {
    const chan = new Channel<E>(topic, chanParams, this, options);
    this._addChannel(chan as unknown as Channel);
    return chan;
  }

  /**
   * Sends a message now, or buffers it until the connection opens.
   * @param channel the channel the message belongs to (by default the channel of the push waiting
   *   on its ref); a buffered message of an outdated join is not sent.
   */
  push(data: Message, channel?: Channel): void {
    if (this.logger !== null) {
      this.log("push", `${data.topic} ${data.event} (${data.join_ref}, ${data.ref})`, data.payload);
    }
    if (this.isConnected()) {
      this._send(data);
      return;
    }
    const push = this._pushOf(data);
    const owner = channel || (push && push.channel);
    const entry: BufferedSend = () => {
      // Sent for an earlier join (e.g. the leave after a join timeout), or the channel left since.
      if (!owner || (data.join_ref === owner.joinRef() && !owner.isClosed())) this._send(data);
    };
    entry.push = push;
    if (push) push._buffered = 2;
    this._bufferSend(entry);
  }

  /** A new unique ref. */
  makeRef(): string {
    const next = this.ref + 1;
    this.ref = next === this.ref ? 0 : next;
    return String(this.ref);
  }

  /** Sends a heartbeat; used by the heartbeat timer. */
  sendHeartbeat(): void {
    if (!this.isConnected()) return;
    // Called again while one is pending (by hand; our timers never do): a new heartbeat replaces it.
    clearTimeout(this.heartbeatTimeoutTimer!);
    this.push(heartbeat((this.pendingHeartbeatRef = this.makeRef())));
    this.heartbeatTimeoutTimer = setTimeout(() => this.heartbeatTimeout(), this.heartbeatIntervalMs);
  }

  /**
   * The pending heartbeat got no reply in time: the connection is presumed dead. It is dropped
   * at once (we do not wait for a close handshake a dead peer will never answer), the channels
   * error, and a reconnect is scheduled.
   */
  heartbeatTimeout(): void {
    if (this.pendingHeartbeatRef === null) return;
    this.pendingHeartbeatRef = null;
    this._logTransport("heartbeat timeout. Attempting to re-establish connection");
    this._abandon("heartbeat timeout");
  }

  /** Restarts the heartbeat from now. */
  resetHeartbeat(): void {
    if (!this.conn?.skipHeartbeat) this._beat();
  }

  /** Stops the heartbeat. */
  clearHeartbeats(): void {
    clearTimeout(this.heartbeatTimer!);
    clearTimeout(this.heartbeatTimeoutTimer!);
    this.heartbeatTimer = this.heartbeatTimeoutTimer = this.pendingHeartbeatRef = null;
  }

  /** Sends the buffered messages (when connected). */
  flushSendBuffer(): void {
    const buffered = this.sendBuffer;
    if (this.isConnected() && buffered.length > 0) {
      this.sendBuffer = [];
      for (const entry of buffered) {
        if (entry.push) entry.push._buffered = 0;
        entry();
      }
    }
  }

  /** Leaves another channel instance joined or joining `topic` (a new join of it supersedes it). */
  leaveOpenTopic(topic: string, except: Channel | null | undefined = this._joining): void {
    for (const chan of this._syncTopics().get(topic) || []) {
      if (chan !== except && (chan.isJoined() || chan.isJoining())) {
        this._logTransport(`leaving duplicate topic "${topic}"`);
        chan.leave();
      }
    }
  }

  /**
   * Opens a transport now. Called by `connect()` and reconnects once credentials are resolved.
   * @internal
   */
  transportConnect(): void {
    this.connectClock++;
    this.closeWasClean = false;
    this.reconnectTimer.cancel();
    const token = tokenOf(this._fresh(this.authToken, this._tokenValue));
    // No sub-protocols without a token (passed as undefined, as phoenix.js does).
    const protocols = token ? ["phoenix", `${AUTH_TOKEN_PREFIX}${encodeAuthToken(token)}`] : undefined;
    const url = this.endPointURL();
    // A previous transport (one that closed) is let go: its events no longer reach us.
    if (this.conn) this._dropConn(this.conn);
    const conn = new this.transport(url, protocols) as Conn;
    conn.binaryType = this.binaryType;
    conn.timeout = this.longpollerTimeout;
    this.conn = conn;
    this._connEnded = false;
    // Looked up at each event, so spies and wrappers installed after connect() see them.
    conn.onopen = () => {
      if (this.conn === conn) this.onConnOpen();
    };
    conn.onerror = (error) => {
      if (this.conn === conn) this.onConnError(error);
    };
    conn.onmessage = (event) => {
      if (this.conn === conn) this.onConnMessage(event);
    };
    conn.onclose = (event) => {
      if (this.conn === conn && !this._connEnded) this.onConnClose(event ?? {});
    };
  }
  /** The connection opened. */
  onConnOpen(): void {
    if (this.hasLogger()) this._logTransport(`${this.transportName(this.transport)} connected to ${this._safeURL()}`);
    this.closeWasClean = this._suspended = false;
    this.establishedConnections++;
    this.flushSendBuffer();
    this.reconnectTimer.reset();
    this.resetHeartbeat();
    this._setState("open", "transport open");
    this._fallbackOnOpen();
    this._emit("open");
    for (const chan of this.channels) chan._onSocketOpen();
  }

  /** The connection closed (by the server, the network, or us). */
  onConnClose(event: CloseEventLike): void {
    this._logTransport("close", event);
    if (this.conn) this._connEnded = true;
    this._pings.clear();
    this._closed(event, "transport closed", new ConnectionError(`connection closed (code ${event.code})`, { cause: event }));
  }

  /**
   * What follows a lost connection: channels error, a reconnect is scheduled unless the close was
   * asked for, and the close callbacks run with `event`.
   */
  private _closed(event: CloseEventLike, reason: string, error: unknown, chanReason?: string): void {
    this.clearHeartbeats();
    this.triggerChanError(chanReason);
    // _scheduleReconnect() reports "closed" itself when the app disconnected.
    if (this.closeWasClean) this._setState("closed", reason);
    else this._scheduleReconnect(reason, error);
    this._emit("close", event);
  }

  /** The transport reported an error. */
  onConnError(error: unknown): void {
    this._logTransport("error", error);
    const transportBefore = this.transport;
    const establishedBefore = this.establishedConnections;
    this._emit("error", error, transportBefore, establishedBefore);
    this._resetRejoins();
    // The primary failed before opening: that is the fallback's cue, not the channels' failure.
    const attempt = this._fallback;
    if (attempt && attempt._primary && !attempt._established) {
      this._logTransport("error", error);
      return this._fallBack("error");
    }
    if (transportBefore === this.transport || establishedBefore > 0) this.triggerChanError("connection_error");
  }

  /** Errors every channel that is joined or joining (they rejoin on the next open). */
  triggerChanError(reason = "connection_closed"): void {
    for (const chan of this.channels) {
      if (!(chan.isErrored() || chan.isLeaving() || chan.isClosed())) {
        chan.trigger(CHANNEL_EVENTS.error, { source: "transport", reason });
      }
    }
  }

  /** An inbound frame from the transport. Bad frames are reported, never thrown. */
  onConnMessage(rawMessage: { data: RawFrame }): void {
    const data = rawMessage?.data as RawFrame;
    const decode = this.decode;
    // Fast path for the common V2 text frame: validate in place and route without building a
    // Message object (one is made only if someone listens with onMessage). Anything odd goes
    // to the full decoder, which names the problem.
    // Typed as the shape the checks below establish before it is used.
    let frame: [string | null, string | null, string, string, unknown] | undefined;
    let msg: Message | undefined;
    if (typeof data === "string" && decode === Serializer.decode) {
      try {
        frame = JSON.parse(data);
      } catch {
        /* the decoder reports it */
      }
    }
    if (!(Array.isArray(frame) && frame.length === 5 && isRef(frame[0]) && isRef(frame[1]) && typeof frame[2] === "string" && typeof frame[3] === "string")) {
      try {
        if (decode === Serializer.decode) msg = decodeV2(data);
        else if (decode === V1Serializer.decode) msg = decodeV1(data);
        else decode(data, (m) => (msg = m));
      } catch (error) {
        this._reportError(
          error instanceof PhxError ? error : new DecodeError("unsupported_frame", `the decoder failed: ${String(error)}`, data, { cause: error }),
        );
        return;
      }
      if (msg === undefined) return;
    }
    try {
      if (msg) this._route(msg.join_ref, msg.ref, msg.topic, msg.event, msg.payload, msg);
      else this._route(frame![0], frame![1], frame![2], frame![3], frame![4], null);
    } catch (error) {
      this._reportError(error);
    }
  }

  /**
   * Tears the connection down now (used by disconnect). Close callbacks run with a
   * `{code, reason, wasClean: true}` event, and joined channels error so they rejoin on the next connect.
   */
  teardown(callback?: () => void, code?: number, reason?: string): void {
    const conn = this._forgetEnded();
    this.clearHeartbeats();
    this._pings.clear();
    // Rejoins wait for the next open anyway; a pending one must not outlive the socket.
    this._resetRejoins();
    if (conn) {
      this._setState("closing", "disconnect");
      // A join still waiting to go out (connecting) stays joining: the next connection sends it.
      if (this._shut(conn, code, reason)) this.triggerChanError();
    }
    this._setState(this._suspended ? "waiting" : "closed", "disconnect");
    if (conn) this._emit("close", { type: "close", code: code ?? WS_CLOSE_NORMAL, reason: reason ?? "", wasClean: true });
    if (!callback) return;
    // `callback` runs once the transport has closed, or after the bounded wait. With no transport,
    // a caller waits for the previous one if it is still closing, else runs now.
    const waiters = this._closeWaiters;
    if (!conn) return waiters ? void waiters.push(callback) : safeCall(callback);
    const closed = (): boolean => conn.readyState === SOCKET_STATES.closed;
    // Checked after close(): a transport that closed synchronously is done now.
    if (closed()) return safeCall(callback);
    const mine = (this._closeWaiters = [callback]);
    let polls = DISCONNECT_CLOSE_WAIT_MS / DISCONNECT_POLL_MS;
    const finish = (): void => {
      clearInterval(timer);
      conn.onclose = noop;
      if (this._closeWaiters === mine) this._closeWaiters = null;
      // Taken one by one so a waiter added by a callback still runs.
      while (mine.length) safeCall(mine.shift()!);
    };
    conn.onclose = finish;
    const timer = setInterval(() => {
      if (closed() || !--polls) finish();
    }, DISCONNECT_POLL_MS);
  }

  // ------------------------------------------------------------------ additions

  /**
   * Reports every connection state transition with its reason, attempt and next retry delay.
   * @returns a function that unsubscribes.
   * @example
   * ```ts
   * socket.onStateChange(({to, attempt, nextRetryInMs}) => banner(to, attempt, nextRetryInMs))
   * ```
   */
  onStateChange(callback: (change: SocketStateChange) => void): () => void {
    assertFunction(callback, "the state change callback");
    const listener = (change: SocketStateChange): void => safeCall(callback, change);
    const listeners = (this._listeners ??= new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  }

  /**
   * The state changes as an async iterator.
   * @example
   * ```ts
   * for await (const {to} of socket.states({signal})) console.log(to)
   * ```
   */
  states(options: IterateOptions = {}): AsyncIterableIterator<SocketStateChange> {
    return iterate<SocketStateChange>((push) => this.onStateChange(push), options);
  }

  /**
   * Closes the connection for now (app backgrounded, WebView paused) without forgetting that
   * the app wants it: `resume()` reconnects. A manual `disconnect()` still wins.
   */
  pause(reason = "paused"): void {
    this._suspend(reason);
  }

  /** Reconnects after `pause()`, or probes a connection that may have gone stale. */
  resume(reason = "resumed"): void {
    this._wake(reason);
  }

  // ------------------------------------------------------------------ internals

  /** @internal */
  _hasChannel(channel: Channel): boolean {
    return (this._syncTopics().get(channel.topic) || []).includes(channel);
  }

  /**
   * The topic registry, rebuilt first if `channels` was replaced or resized from outside (code
   * written for phoenix.js edits it by hand), so dispatch always follows `channels`.
   * @internal
   */
  _syncTopics(): Map<string, Channel[]> {
    const topics = this._topics;
    const channels = this.channels;
    if (channels !== this._indexed || channels.length !== this._indexedLength) {
      topics.clear();
      for (const chan of channels) this._index(chan);
      this._indexed = channels;
      this._indexedLength = channels.length;
    }
    return topics;
  }

  /** Adds `chan` to its topic's list (a new list: lists being iterated are never mutated). */
  private _index(chan: Channel): void {
    this._topics.set(chan.topic, (this._topics.get(chan.topic) || []).concat(chan));
  }

  /** @internal */
  _addChannel(channel: Channel): void {
    if (this._hasChannel(channel)) return;
    this._indexedLength = this.channels.push(channel);
    this._index(channel);
  }

  /** @internal Reports an error to the logger and the `onError` callbacks without touching the connection. */
  _reportError(error: unknown): void {
    if (this.hasLogger()) this.log("error", errorText(error), error);
    // Nobody listens: surface it without throwing (a rethrow would crash a Node process over one bad frame).
    else if (!this.stateChangeCallbacks.error.length) console.error("phx-channels:", error);
    this._emit("error", error, this.transport, this.establishedConnections);
  }

  /** @internal The current connection, or null once it has reported its close. */
  _live(): Conn | null {
    return this._connEnded ? null : this.conn;
  }

  /** Lets go of a connection that has reported its close; returns the live one, if any. */
  private _forgetEnded(): Conn | null {
    if (this._connEnded && this.conn) this._dropConn(this.conn);
    return this.conn;
  }

  /** @internal Whether lifecycle handlers may act (the app did not disconnect). */
  _wantsConnection(): boolean {
    return !this._userClosed;
  }

  /**
   * Stops every retry path (pending credentials, fallback, probe, reconnect timer); `reset`
   * also forgets the attempt count.
   */
  private _halt(reset?: boolean): void {
    this._attemptClock++;
    this._connecting = false;
    this.closeWasClean = true;
    this._fallback = null;
    this._clearFallbackTimer();
    this._clearProbe();
    this.reconnectTimer[reset ? "reset" : "cancel"]();
  }

  /** @internal Page hidden, app paused or offline: close and wait. */
  _suspend(reason: string): void {
    if (this._userClosed || this._failed) return;
    this._suspended = true;
    this._halt(true);
    // teardown() reports the "waiting" state.
    this.teardown(undefined, WS_CLOSE_NORMAL, reason);
  }

  /** @internal Back to foreground / online / resumed: reconnect now, or probe a live-looking connection. */
  _wake(reason: string): void {
    if (this._userClosed || this._failed) return;
    if (this.isConnected()) {
      // Looks open, but may have slept through a network change: a silent connection is redialed.
      if (this._probeTimer) return;
      const conn = this.conn;
      this.ping(() => this._clearProbe());
      this._probeTimer = setTimeout(
        () => {
          this._probeTimer = null;
          // disconnect() clears this timer; a connection replaced meanwhile is not probed.
          if (this.conn === conn) {
            this._logTransport(`no answer to the ${reason} probe: reconnecting`);
            this._abandon(`${reason} probe timeout`);
          }
        },
        Math.min(this._options.probeTimeoutMs ?? 2000, this.heartbeatIntervalMs),
      );
      return;
    }
    if (this._connecting || this.conn?.readyState === SOCKET_STATES.connecting) return;
    if (this._suspended || !this.closeWasClean || this.reconnectTimer.isScheduled()) {
      this._suspended = false;
      this.reconnectTimer.cancel();
      this._startConnect(reason);
    }
  }

  /** @internal The reconnect timer fired. */
  private _reconnectNow(): void {
    if (this._userClosed || this._failed) return;
    if ((globalThis as { document?: { visibilityState?: string } }).document?.visibilityState === "hidden") {
      this._logTransport("Not reconnecting as page is hidden!");
      this._suspended = true;
      this._setState("waiting", "page hidden");
      return;
    }
    const hook = this._options.beforeReconnect;
    // A failing hook is reported and the reconnect goes ahead.
    const go = (): void => this._startConnect("reconnect");
    this._await(++this._attemptClock, () => hook && hook({ attempt: this.reconnectTimer.tries }), go, go);
  }

  /**
   * Runs `then` with what `get` returns, now, or once it resolves if it is a promise, unless
   * attempt `clock` was superseded (or the app disconnected) meanwhile. A throw or a rejection
   * is reported, then passed to `fail`.
   */
  private _await<T>(clock: number, get: () => T | PromiseLike<T>, then: (v: T) => void, fail: (error: unknown) => void): void {
    const failed = (error: unknown): void => {
      this._reportError(error);
      fail(error);
    };
    let value: T | PromiseLike<T>;
    try {
      value = get();
    } catch (error) {
      return failed(error);
    }
    if (!isThenable(value)) return then(value as T);
    this._connecting = true;
    const settle =
      <A>(f: (a: A) => void) =>
      (a: A): void => {
        if (clock !== this._attemptClock || this._userClosed) return;
        this._connecting = false;
        f(a);
      };
    value.then(settle(then), settle(failed));
  }

  /** Resolves fresh credentials (awaiting async ones), then dials. */
  private _startConnect(reason: string): void {
    const clock = ++this._attemptClock;
    this.closeWasClean = false;
    this._setState("connecting", reason);
    this._await<[Params, string | undefined]>(
      clock,
      () => {
        const params = this.params();
        const token = this.authToken && this.authToken();
        return isThenable(params) || isThenable(token) ? Promise.all([params, token]) : [params, token as string | undefined];
      },
      ([p, t]) => this._dial(p, t),
      (error) => this._scheduleReconnect("credentials failed", error),
    );
  }

  private _dial(params: Params, token: string | undefined): void {
    this._paramsValue = params ?? {};
    this._tokenValue = tokenOf(token);
    this._dialing = true;
    try {
      const fallback = this.getLongPollTransport();
      const ms = this.longPollFallbackMs;
      if (ms && this.transport !== fallback) {
        // Try the primary; fall back when it errors before opening, or does not open and answer
        // a ping within `ms`. The fallback is remembered for the session only if the primary
        // never worked here.
        if (this.sessionStore.getItem(FALLBACK_STORAGE_KEY)) {
          this._fallback = null;
          return this._switchTo(fallback, "memorized");
        }
        this._fallback = { _transport: fallback, _ms: ms, _primary: true, _established: false };
        this._armFallback("timeout", ms);
      }
      this.transportConnect();
    } catch (error) {
      // e.g. the transport constructor rejected the URL or a sub-protocol: retry with backoff.
      this._reportError(new ConnectionError(`could not open the transport: ${String(error)}`, { cause: error }));
      if (this.conn) this._dropConn(this.conn);
      this._scheduleReconnect("transport failed", error);
    } finally {
      this._dialing = false;
    }
  }

  private _scheduleReconnect(reason: string, error?: unknown): void {
    if (this._userClosed) return this._setState("closed", reason);
    const tries = this.reconnectTimer.tries;
    if (tries < this._maxReconnectAttempts) {
      this.reconnectTimer.scheduleTimeout();
      return this._setState("reconnecting", reason, error);
    }
    // `reconnect.maxAttempts` reached: stop every retry path and report `failed`.
    this._failed = true;
    this.connectClock++;
    this._halt();
    this.clearHeartbeats();
    const failure = new ConnectionError(
      `gave up reconnecting after ${tries} attempt(s) (${reason}); call connect() to retry`,
      { cause: error },
    );
    this._logTransport(failure.message, error);
    this._setState("failed", reason, failure);
  }

  /** Drops a connection we no longer trust, without waiting for its close handshake, and reconnects. */
  private _abandon(reason: string): void {
    this._clearProbe();
    this._pings.clear();
    this.closeWasClean = false;
    if (this.conn) this._shut(this.conn, WS_CLOSE_NORMAL, reason);
    const event = { type: "close", code: WS_CLOSE_NORMAL, reason, wasClean: false };
    // Both callers (heartbeat and probe) saw a ping go unanswered: phoenix.js's reason for that.
    this._closed(event, reason, new ConnectionError(reason), "heartbeat_timeout");
  }

  /** Detaches our handlers (noops, not null: `ws` throws on an error event nobody listens to). */
  private _dropConn(conn: Conn): void {
    conn.onopen = conn.onerror = conn.onmessage = conn.onclose = noop;
    if (this.conn === conn) this.conn = null;
    this._pings.clear();
  }

  /** Detaches and closes `conn`. @returns whether it was open. */
  private _shut(conn: Conn, code?: number, reason?: string): boolean {
    const wasOpen = conn.readyState === SOCKET_STATES.open;
    this._dropConn(conn);
    try {
      if (code) conn.close(code, reason ?? "");
      else conn.close();
    } catch (error) {
      this._logTransport("close failed", error);
    }
    return wasOpen;
  }

  private _resetRejoins(): void {
    for (const chan of this.channels) chan.rejoinTimer.reset();
  }

  /** Restarts the heartbeat cycle: the next heartbeat goes out one interval from now. */
  private _beat(): void {
    this.clearHeartbeats();
    this.heartbeatTimer = setTimeout(() => this.sendHeartbeat(), this.heartbeatIntervalMs);
  }

  private _route(join_ref: string | null, ref: string | null, topic: string, event: string, payload: unknown, msg: Message | null): void {
    if (ref !== null && ref === this.pendingHeartbeatRef) this._beat();
    if (this.logger !== null) {
      const status = (payload as { status?: unknown } | null)?.status;
      this.log("receive", `${typeof status === "string" ? status : ""} ${topic} ${event} ${ref ? `(${ref})` : ""}`, payload);
    }
    const list = this._syncTopics().get(topic);
    const channels = this.channels;
    const known = channels.length;
    if (list) {
      // The list is replaced, never mutated, when channels come and go: iterating it is safe.
      for (let i = 0; i < list.length; i++) {
        const chan = list[i] as Channel;
        if (chan.isMember(topic, event, payload, join_ref)) chan.trigger(event, payload, ref, join_ref);
      }
    }
    // A channel a callback created during this delivery gets the message too, as it would in
    // phoenix.js's loop over `channels`.
    for (let i = known; this.channels === channels && i < channels.length; i++) {
      const chan = channels[i] as Channel;
      if (chan.isMember(topic, event, payload, join_ref)) chan.trigger(event, payload, ref, join_ref);
    }
    const callbacks = this.stateChangeCallbacks.message;
    if (callbacks.length > 0) {
      const message: Message = msg ?? { join_ref, ref, topic, event, payload };
      for (let i = 0, n = callbacks.length; i < n; i++) safeCall((callbacks[i] as [string, MessageCallback])[1], message);
    }
    const ping = ref && this._pings.size ? this._pings.get(ref) : undefined;
    if (ping) {
      this._pings.delete(ref!);
      safeCall(ping[1], Date.now() - ping[0]);
    }
  }

  private _send(data: Message): void {
    const conn = this.conn;
    if (conn === null) return;
    const encode = this.encode;
    try {
      if (encode === Serializer.encode) conn.send(encodeV2(data));
      else if (encode === V1Serializer.encode) conn.send(encodeV1(data));
      else encode(data, (frame) => conn.send(frame));
    } catch (error) {
      this._reportError(error);
      const push = this._pushOf(data);
      if (push) push.trigger("error", { reason: errorText(error) });
    }
  }

  /** The push a message was sent for: the newest one waiting on its ref. */
  private _pushOf(data: Message): Push<unknown> | undefined {
    let push = data.ref == null ? undefined : this._replies.get(String(data.ref));
    while (push && push._sameRef) push = push._sameRef;
    return push;
  }

  private _bufferSend(entry: BufferedSend): void {
    const buffer = this.sendBuffer;
    if (buffer.length >= this.maxBuffered) {
      const policy = this.onOverflow;
      // With a bound of 0 (or "reject") the new entry goes, never a buffered one.
      const victim = (policy !== "reject" && this.maxBuffered > 0 && (policy === "drop-newest" ? buffer.pop() : buffer.shift())) || entry;
      const push = victim.push;
      if (push) {
        push._buffered = 0;
        push._drop("send buffer full");
      } else {
        this._reportError(new ConnectionError("send buffer full: a message was dropped"));
      }
      if (victim === entry) return;
    }
    buffer.push(entry);
  }

  /** @internal A push that was waiting in the send buffer ended (e.g. timed out): forget its entry. */
  _unbufferSend(push: Push<unknown>): void {
    const buffer = this.sendBuffer;
    // Buffered pushes mostly end in order: the head is the usual case, and shift() is cheap there.
    if (buffer[0]?.push === push) buffer.shift();
    else {
      const i = buffer.findIndex((entry) => entry.push === push);
      if (i > 0) buffer.splice(i, 1);
    }
  }

  /** A credential now: the one resolved for the attempt being dialed, else a fresh synchronous one. */
  private _fresh<T>(get: (() => T | PromiseLike<T>) | undefined, resolved: T | undefined): T | undefined {
    if (this._dialing || !get) return resolved;
    const value = get();
    return isThenable(value) ? resolved : value;
  }

  private _url(params: Params): string {
    let uri = appendParams(appendParams(this.endPoint, params), { vsn: this.vsn });
    if (uri[0] !== "/") return uri;
    if (uri[1] !== "/") {
      // A path: on the page's host.
      const host = (globalThis as { location?: { host?: unknown } }).location?.host;
      if (!host || typeof host !== "string") {
        throw new UsageError(`relative endpoint "${this.endPoint}" needs a page location: use a ws:// or wss:// URL`);
      }
      uri = `//${host}${uri}`;
    }
    return `${this.protocol()}:${uri}`;
  }

  private _safeURL(): string {
    try {
      return this.endPointURL();
    } catch {
      return this.endPoint;
    }
  }

  private _setState(to: SocketConnectionState, reason: string, error?: unknown): void {
    const from = this._state;
    if (from === to && to !== "reconnecting") return;
    this._state = to;
    const listeners = this._listeners;
    if (!listeners?.size) return;
    const { tries, nextDelayMs } = this.reconnectTimer;
    const change: SocketStateChange = {
      from,
      to,
      reason,
      attempt: to === "reconnecting" ? tries + 1 : tries,
      nextRetryInMs: nextDelayMs,
    };
    if (error !== undefined) change.error = error;
    // A snapshot: listeners added by a listener wait for the next change.
    for (const listener of [...listeners]) listener(change);
  }

  private _clearProbe(): void {
    clearTimeout(this._probeTimer!);
    this._probeTimer = null;
  }

  private _clearFallbackTimer(): void {
    clearTimeout(this.fallbackTimer!);
    this.fallbackTimer = null;
  }

  private _switchTo(transport: TransportConstructor, reason: string): void {
    this._logTransport("falling back to LongPoll...", reason);
    this.replaceTransport(transport);
    this.transportConnect();
  }

  /** Calls `_fallBack(reason)` in `ms` unless the fallback timer is cleared first. */
  private _armFallback(reason: string, ms: number): void {
    this._clearFallbackTimer();
    this.fallbackTimer = setTimeout(() => this._fallBack(reason), ms);
  }

  /** Switches to the fallback transport (replaceTransport() clears the fallback timer). */
  private _fallBack(reason: string): void {
    const attempt = this._fallback;
    if (attempt && attempt._primary) {
      attempt._primary = false;
      this._switchTo(attempt._transport, reason);
    }
  }

  private _fallbackOnOpen(): void {
    const attempt = this._fallback;
    if (!attempt) return;
    if (!attempt._primary) {
      if (!this.primaryPassedHealthCheck) this.sessionStore.setItem(FALLBACK_STORAGE_KEY, "true");
      this._logTransport("established LongPoll fallback");
      this._fallback = null;
      return;
    }
    attempt._established = true;
    this._armFallback("no ping answer", attempt._ms);
    this.ping((rtt) => {
      if (this._fallback !== attempt) return;
      this._logTransport("connected to primary after", rtt);
      this.primaryPassedHealthCheck = true;
      this._fallback = null;
      this._clearFallbackTimer();
    });
  }
}
