/**
 * LongPoll: a WebSocket-shaped transport over HTTP long polling, for networks that block
 * WebSocket upgrades. Built on `fetch` and `AbortController` only, so it runs in browsers,
 * web workers, Node >= 18 and React Native.
 *
 * Wire behaviour (see PROTOCOL.md, "LongPoll"):
 * - `GET` without a session token creates a session: body `{status: 410, token}`; we are open.
 * - `GET` with the token is held by the server until messages arrive (`{status: 200, messages}`)
 *   or its poll window ends (`{status: 204}`); either way we poll again at once.
 * - `POST` with the token carries our pushes as `application/x-ndjson`, at most
 *   {@link MAX_LONGPOLL_BATCH_SIZE} per request, one request at a time.
 *
 * The session token travels ONLY as the `token` query parameter. Phoenix up to 1.8.9 reads
 * nothing else (1.8.10+ also reads `X-Phoenix-Longpoll-Token`, falling back to the parameter),
 * and a custom header would make every cross-origin poll GET pay a CORS preflight.
 * @module
 */
import { ConnectionError, UsageError } from "../errors";
import { noop } from "../emitter";
import {
  AUTH_TOKEN_HEADER,
  AUTH_TOKEN_PREFIX,
  DEFAULT_LONGPOLLER_TIMEOUT,
  SOCKET_STATES,
  type SocketReadyState,
} from "../protocol";

/** Most pushes sent in one POST (as phoenix.js). */
export const MAX_LONGPOLL_BATCH_SIZE = 100;

/** Close codes LongPoll reports in `onclose`, chosen as phoenix.js reports them. */
export const LONGPOLL_CLOSE_CODES = {
  /** `close()` called without a code (as a WebSocket reports it). */
  noStatus: 1005,
  /** A request got no answer within `timeout`. */
  timeout: 1005,
  /** The server refused the connection (`{status: 403}`). */
  forbidden: 1008,
  /** Server error, network failure or an unreadable answer. */
  serverError: 1011,
  /** The server forgot our session (`{status: 410}` once open): reconnect and rejoin. */
  sessionGone: 3410,
} as const;

/** The minimal `Response` shape LongPoll reads, so any fetch polyfill fits. */
export interface LongPollResponse {
  readonly status: number;
  text(): Promise<string>;
}

/** The request options LongPoll passes to `fetch`. */
export interface LongPollRequestInit {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** A `fetch`-compatible function. */
export type LongPollFetch = (url: string, init: LongPollRequestInit) => Promise<LongPollResponse>;

/** Options beyond the WebSocket-shaped constructor arguments. */
export interface LongPollOptions {
  /** The `fetch` to use. Default: {@link LongPoll.fetch}, else `globalThis.fetch` at request time. */
  fetch?: LongPollFetch;
}

/** Why a LongPoll connection failed. */
export type LongPollFailure =
  /** `{status: 410}` while open: the server no longer knows the session. */
  | "session_gone"
  /** `{status: 403}`: the server refused the connect (bad params or auth token, bad origin). */
  | "forbidden"
  /** HTTP 5xx, `{status: 500}` or another status the protocol does not define. */
  | "server_error"
  /** `fetch` rejected (DNS, refused connection, CORS, offline...). */
  | "network"
  /** No complete answer within `timeout` ms. */
  | "timeout"
  /** The answer was not the protocol's JSON body. */
  | "bad_response"
  /** No `fetch` on this platform and none was given. */
  | "unsupported";

/**
 * The error LongPoll hands to `onerror`: a {@link ConnectionError} telling what failed,
 * with the underlying error (if any) as `cause`.
 */
export class LongPollError extends ConnectionError {
  /** What failed. */
  readonly reason: LongPollFailure;
  /** The protocol status (the body's `status`, else the HTTP status), or `null` without an answer. */
  readonly status: number | null;
  /** The request that failed. */
  readonly method: "GET" | "POST";
  constructor(
    reason: LongPollFailure,
    method: "GET" | "POST",
    status: number | null,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "LongPollError";
    this.reason = reason;
    this.method = method;
    this.status = status;
  }
}

/** What `onmessage` receives: a text frame, or a binary one as an `ArrayBuffer`. */
export interface LongPollMessageEvent {
  readonly type: "message";
  readonly data: string | ArrayBuffer;
}

/** What `onclose` receives, shaped like a WebSocket `CloseEvent`. */
export interface LongPollCloseEvent {
  readonly type: "close";
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/** What `onopen` receives. */
export interface LongPollOpenEvent {
  readonly type: "open";
}

/** Protocol body of every long-poll answer. */
interface PollBody {
  status: number;
  token: string | null;
  messages: unknown[] | null;
}

interface Inflight {
  controller: AbortController | null;
  timer: ReturnType<typeof setTimeout> | null;
}

/**
 * A WebSocket-shaped transport over HTTP long polling.
 *
 * Give it to a socket as its transport; the socket constructs it with its WebSocket endpoint
 * (the scheme becomes http(s) and `/websocket` becomes `/longpoll`) and sets `timeout` from
 * `longpollerTimeout`. An auth token offered as a `base64url.bearer.phx.<base64>` sub-protocol is
 * sent raw in the `X-Phoenix-AuthToken` header of every poll.
 *
 * Callbacks are WebSocket-like: `onopen` once the session exists, `onmessage` once per message
 * (each in its own task), and on failure `onerror` (a {@link LongPollError}) then `onclose`.
 * `close()` reports `onclose` synchronously, aborts every request and leaves no timer behind.
 *
 * @example
 * ```ts
 * import { Socket, LongPoll } from "phx-channels"
 * const socket = new Socket("/socket", { transport: LongPoll, longpollerTimeout: 20000 })
 *
 * // or on its own:
 * const lp = new LongPoll("wss://example.com/socket/websocket?vsn=2.0.0")
 * lp.onopen = () => lp.send(JSON.stringify(["1", "1", "room:lobby", "phx_join", {}]))
 * lp.onmessage = ({ data }) => console.log(data)
 * lp.onclose = ({ code, reason }) => console.log("closed", code, reason)
 * ```
 */
export class LongPoll {
  /**
   * A process-wide `fetch` override (tests, custom agents). Read at request time; when `null`,
   * `globalThis.fetch` is used.
   */
  static fetch: LongPollFetch | null = null;

  /** 0 connecting, 1 open, 2 closing, 3 closed (as `WebSocket.readyState`). */
  readyState: SocketReadyState = SOCKET_STATES.connecting;
  /** Bound of each request, in ms (the socket's `longpollerTimeout`). */
  timeout: number = DEFAULT_LONGPOLLER_TIMEOUT;
  /** Every poll proves liveness, so the socket needs no heartbeat. */
  readonly skipHeartbeat = true;
  /** Binary messages are always delivered as `ArrayBuffer`; kept for WebSocket parity. */
  binaryType: "arraybuffer" | "blob" = "arraybuffer";
  /** The long-poll endpoint (http/https, path ending in `/longpoll`). */
  readonly url: string;
  /** No sub-protocol is negotiated over HTTP. */
  readonly protocol = "";

  onopen: (event: LongPollOpenEvent) => void = noop;
  onerror: (error: LongPollError) => void = noop;
  onmessage: (event: LongPollMessageEvent) => void = noop;
  onclose: (event: LongPollCloseEvent) => void = noop;

  private readonly authToken: string | null;
  private readonly fetchOverride: LongPollFetch | null;
  private token: string | null = null;
  private readonly requests = new Set<Inflight>();
  private readonly messageTimers = new Set<ReturnType<typeof setTimeout>>();
  private startTimer: ReturnType<typeof setTimeout> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private outbox: string[] = [];
  private posting = false;

  /**
   * @param endPointURL the socket's endpoint: `ws(s)://host/path/websocket?...` or http(s).
   * @param protocols WebSocket sub-protocols; only a `base64url.bearer.phx.` entry is used.
   * @param options a `fetch` to use instead of the global one.
   * @throws {UsageError} if the URL is empty or the bearer entry is not base64.
   */
  constructor(endPointURL: string, protocols?: string | string[], options?: LongPollOptions) {
    if (typeof endPointURL !== "string" || endPointURL.trim() === "") {
      throw new UsageError("LongPoll needs the socket's endpoint URL");
    }
    this.url = toLongPollURL(endPointURL.trim());
    this.authToken = readAuthToken(protocols);
    this.fetchOverride = options?.fetch ?? null;
    // Deferred so the caller can set callbacks and `timeout` first, or close us right away.
    this.startTimer = setTimeout(() => {
      this.startTimer = null;
      this.poll();
    }, 0);
  }

  /**
   * Queues a message. Messages sent in the same tick go out in one ndjson POST; binary ones
   * as a base64 line.
   * @throws {UsageError} before the session is open, or for data that is not a string or bytes.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    let line: string;
    if (typeof data === "string") line = data;
    else if (data instanceof ArrayBuffer) line = encodeBase64(new Uint8Array(data));
    else if (typeof ArrayBuffer !== "undefined" && ArrayBuffer.isView(data)) {
      line = encodeBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      throw new UsageError("LongPoll.send takes a string or binary data");
    }
    if (this.readyState === SOCKET_STATES.connecting) {
      throw new UsageError("LongPoll.send called before the session is open");
    }
    // Like a WebSocket, a closed transport drops what it is given.
    if (this.readyState !== SOCKET_STATES.open) return;
    this.outbox.push(line);
    if (!this.posting && this.flushTimer === null) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = null;
        this.postNextBatch();
      }, 0);
    }
  }

  /**
   * Stops for good: aborts every request, drops queued pushes and undelivered messages, and
   * reports `onclose` synchronously. Closing twice does nothing.
   */
  close(code?: number, reason?: string): void {
    if (this.readyState === SOCKET_STATES.closed) return;
    this.stop();
    this.emitClose(code ?? LONGPOLL_CLOSE_CODES.noStatus, reason ?? "", true);
  }

  private isActive(): boolean {
    return this.readyState === SOCKET_STATES.connecting || this.readyState === SOCKET_STATES.open;
  }

  private stop(): void {
    this.readyState = SOCKET_STATES.closed;
    // Cleared before aborting: an abort settles the fetch, whose handler must find itself disowned.
    const requests = [...this.requests];
    this.requests.clear();
    for (const request of requests) {
      if (request.timer !== null) clearTimeout(request.timer);
      request.controller?.abort();
    }
    for (const timer of this.messageTimers) clearTimeout(timer);
    this.messageTimers.clear();
    if (this.startTimer !== null) clearTimeout(this.startTimer);
    this.startTimer = null;
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.outbox = [];
    this.posting = false;
  }

  private fail(error: LongPollError, code: number, reason: string): void {
    if (!this.isActive()) return;
    this.stop();
    // A throwing onerror must not cost the socket its close (and so its reconnect).
    try {
      this.onerror(error);
    } finally {
      this.emitClose(code, reason, false);
    }
  }

  private emitClose(code: number, reason: string, wasClean: boolean): void {
    this.onclose({ type: "close", code, reason, wasClean });
  }

  private poll(): void {
    if (!this.isActive()) return;
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.authToken !== null) headers[AUTH_TOKEN_HEADER] = this.authToken;
    this.request("GET", headers, undefined, (body) => this.onPollAnswer(body));
  }

  private onPollAnswer(body: PollBody): void {
    if (body.status === 410 && this.token !== null) {
      this.fail(
        new LongPollError("session_gone", "GET", 410, "the long-poll session is gone (410)"),
        LONGPOLL_CLOSE_CODES.sessionGone,
        "session_gone",
      );
      return;
    }
    switch (body.status) {
      case 200:
      case 204:
        if (body.token !== null) this.token = body.token;
        if (body.status === 200) {
          if (body.messages === null) {
            this.failBadResponse("GET", 200, "a 200 poll answer without a messages array");
            return;
          }
          for (const message of body.messages) this.deliverLater(message);
        }
        this.poll();
        return;
      case 410:
        if (body.token === null) {
          this.failBadResponse("GET", 410, "the session answer carried no token");
          return;
        }
        this.token = body.token;
        this.readyState = SOCKET_STATES.open;
        try {
          this.onopen({ type: "open" });
        } finally {
          this.poll();
        }
        return;
      case 403:
        this.fail(
          new LongPollError("forbidden", "GET", 403, "the server refused the connection (403)"),
          LONGPOLL_CLOSE_CODES.forbidden,
          "forbidden",
        );
        return;
      default:
        this.failServer("GET", body.status);
    }
  }

  /** Each message in its own macrotask, like WebSocket frames: promises a handler resolves settle before the next one. */
  private deliverLater(message: unknown): void {
    const data = toFrame(message);
    const timer = setTimeout(() => {
      this.messageTimers.delete(timer);
      this.onmessage({ type: "message", data });
    }, 0);
    this.messageTimers.add(timer);
  }

  private postNextBatch(): void {
    if (this.readyState !== SOCKET_STATES.open || this.outbox.length === 0) {
      this.posting = false;
      return;
    }
    this.posting = true;
    const batch = this.outbox.splice(0, MAX_LONGPOLL_BATCH_SIZE);
    this.request("POST", { "Content-Type": "application/x-ndjson" }, batch.join("\n"), (body) => {
      if (body.status === 200) {
        this.postNextBatch();
      } else if (body.status === 410) {
        this.fail(
          new LongPollError("session_gone", "POST", 410, "the long-poll session is gone (410)"),
          LONGPOLL_CLOSE_CODES.sessionGone,
          "session_gone",
        );
      } else if (body.status === 403) {
        this.fail(
          new LongPollError("forbidden", "POST", 403, "the server refused the messages (403)"),
          LONGPOLL_CLOSE_CODES.forbidden,
          "forbidden",
        );
      } else {
        this.failServer("POST", body.status);
      }
    });
  }

  private failServer(method: "GET" | "POST", status: number): void {
    this.fail(
      new LongPollError("server_error", method, status, `the long-poll ${method} was answered with status ${status}`),
      LONGPOLL_CLOSE_CODES.serverError,
      "internal server error",
    );
  }

  private failBadResponse(method: "GET" | "POST", status: number | null, message: string): void {
    this.fail(
      new LongPollError("bad_response", method, status, `unreadable long-poll answer: ${message}`),
      LONGPOLL_CLOSE_CODES.serverError,
      "internal server error",
    );
  }

  private requestURL(): string {
    return this.token === null ? this.url : withQueryParam(this.url, "token", this.token);
  }

  private resolveFetch(): LongPollFetch | null {
    if (this.fetchOverride) return this.fetchOverride;
    if (LongPoll.fetch) return LongPoll.fetch;
    const g = globalThis as { fetch?: (url: string, init: LongPollRequestInit) => Promise<LongPollResponse> };
    if (typeof g.fetch !== "function") return null;
    // Called through globalThis: a detached browser fetch throws "Illegal invocation".
    return (url, init) => (globalThis as unknown as { fetch: LongPollFetch }).fetch(url, init);
  }

  /**
   * One request, owned until it settles or we stop. Its handler runs only while it is still
   * ours, so nothing reaches the callbacks after `close()`.
   */
  private request(
    method: "GET" | "POST",
    headers: Record<string, string>,
    body: string | undefined,
    onAnswer: (body: PollBody) => void,
  ): void {
    const fetchImpl = this.resolveFetch();
    if (fetchImpl === null) {
      this.fail(
        new LongPollError("unsupported", method, null, "no fetch available: pass one with LongPoll.fetch"),
        LONGPOLL_CLOSE_CODES.serverError,
        "internal server error",
      );
      return;
    }
    const Controller = (globalThis as { AbortController?: typeof AbortController }).AbortController;
    const inflight: Inflight = { controller: Controller ? new Controller() : null, timer: null };
    this.requests.add(inflight);
    const settle = (): boolean => {
      if (!this.requests.delete(inflight)) return false;
      if (inflight.timer !== null) clearTimeout(inflight.timer);
      return true;
    };
    const timeout = Number.isFinite(this.timeout) && this.timeout > 0 ? this.timeout : DEFAULT_LONGPOLLER_TIMEOUT;
    inflight.timer = setTimeout(() => {
      inflight.timer = null;
      if (!settle()) return;
      inflight.controller?.abort();
      this.fail(
        new LongPollError("timeout", method, null, `the long-poll ${method} got no answer within ${timeout} ms`),
        LONGPOLL_CLOSE_CODES.timeout,
        "timeout",
      );
    }, timeout);

    const init: LongPollRequestInit = { method, headers };
    if (body !== undefined) init.body = body;
    if (inflight.controller) init.signal = inflight.controller.signal;

    let started: Promise<LongPollResponse>;
    try {
      started = fetchImpl(this.requestURL(), init);
    } catch (error) {
      started = Promise.reject(error);
    }
    started
      .then(async (response) => {
        // The body is read under the same timeout and abort signal as the headers.
        const text = await response.text();
        return { httpStatus: response.status, text };
      })
      .then(
        ({ httpStatus, text }) => {
          if (!settle()) return;
          guarded(() => this.onAnswer(method, httpStatus, text, onAnswer));
        },
        (error: unknown) => {
          if (!settle()) return;
          guarded(() =>
            this.fail(
              new LongPollError("network", method, null, `the long-poll ${method} failed`, { cause: error }),
              LONGPOLL_CLOSE_CODES.serverError,
              "internal server error",
            ),
          );
        },
      );
  }

  /** Turns an HTTP answer into the protocol body, failing the transport when it is unusable. */
  private onAnswer(
    method: "GET" | "POST",
    httpStatus: number,
    text: string,
    onAnswer: (body: PollBody) => void,
  ): void {
    const parsed = parseBody(httpStatus, text);
    if (!("failure" in parsed)) {
      onAnswer(parsed);
      return;
    }
    const { failure, status, message, cause } = parsed;
    const forbidden = failure === "forbidden";
    this.fail(
      new LongPollError(failure, method, status, message, cause === undefined ? undefined : { cause }),
      forbidden ? LONGPOLL_CLOSE_CODES.forbidden : LONGPOLL_CLOSE_CODES.serverError,
      forbidden ? "forbidden" : "internal server error",
    );
  }
}

/**
 * Runs app callbacks reached from a promise handler. A throw there would become an unhandled
 * rejection under a misleading name; rethrown in a microtask, it surfaces as the app's own
 * uncaught error, as it would from a WebSocket event handler.
 */
function guarded(run: () => void): void {
  try {
    run();
  } catch (error) {
    const schedule = (globalThis as { queueMicrotask?: (task: () => void) => void }).queueMicrotask;
    if (typeof schedule === "function") {
      schedule(() => {
        throw error;
      });
    } else {
      void Promise.reject(error);
    }
  }
}

interface BodyFailure {
  failure: LongPollFailure;
  status: number | null;
  message: string;
  cause?: unknown;
}

/** Reads the protocol body, or says why it is unusable. */
function parseBody(httpStatus: number, text: string): PollBody | BodyFailure {
  if (httpStatus >= 500) {
    return { failure: "server_error", status: httpStatus, message: `the server answered HTTP ${httpStatus}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    // A proxy or a non-Phoenix server may answer a bare HTTP 403.
    if (httpStatus === 403) {
      return { failure: "forbidden", status: 403, message: "the server refused the connection (HTTP 403)" };
    }
    return { failure: "bad_response", status: httpStatus, message: `the answer (HTTP ${httpStatus}) is not JSON`, cause };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { failure: "bad_response", status: httpStatus, message: "the answer is not a JSON object" };
  }
  const record = json as Record<string, unknown>;
  const status = record["status"];
  if (typeof status !== "number") {
    return { failure: "bad_response", status: httpStatus, message: "the answer has no numeric status" };
  }
  // Phoenix answers HTTP 200 and puts the protocol status in the body; a non-2xx HTTP status
  // that disagrees with the body came from something else (a proxy, a different server).
  if ((httpStatus < 200 || httpStatus >= 300) && httpStatus !== status) {
    return { failure: "server_error", status: httpStatus, message: `the server answered HTTP ${httpStatus}` };
  }
  const token = typeof record["token"] === "string" ? record["token"] : null;
  const messages = Array.isArray(record["messages"]) ? (record["messages"] as unknown[]) : null;
  return { status, token, messages };
}

/**
 * Text messages start with `[` (V2) or `{` (V1); anything else is a base64 binary frame.
 * A line that is not valid base64 is passed on as text, so the socket's decoder reports it.
 */
function toFrame(message: unknown): string | ArrayBuffer {
  if (typeof message !== "string") return JSON.stringify(message) ?? "";
  const first = message.charCodeAt(0);
  if (first === 0x5b /* [ */ || first === 0x7b /* { */) return message;
  const bytes = message === "" ? null : decodeBase64(message);
  if (bytes === null) return message;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** `ws://h/p/websocket?q` -> `http://h/p/longpoll?q`. String surgery, as React Native's URL is incomplete. */
export function toLongPollURL(endPoint: string): string {
  const hashAt = endPoint.indexOf("#");
  const noHash = hashAt === -1 ? endPoint : endPoint.slice(0, hashAt);
  const queryAt = noHash.indexOf("?");
  let path = queryAt === -1 ? noHash : noHash.slice(0, queryAt);
  const query = queryAt === -1 ? "" : noHash.slice(queryAt);
  path = path.replace(/^ws(s?):/i, (_m, s: string) => `http${s}:`);
  path = path.replace(/\/websocket\/?$/, "/longpoll");
  return path + query;
}

/** Sets `name` in the query, dropping any earlier value (a connect param named `token` would shadow ours). */
function withQueryParam(url: string, name: string, value: string): string {
  const queryAt = url.indexOf("?");
  const base = queryAt === -1 ? url : url.slice(0, queryAt);
  const kept =
    queryAt === -1
      ? []
      : url
          .slice(queryAt + 1)
          .split("&")
          .filter((pair) => pair !== "" && pair.split("=")[0] !== name);
  kept.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return `${base}?${kept.join("&")}`;
}

/** The raw auth token from a `base64url.bearer.phx.<base64>` sub-protocol, or null. */
function readAuthToken(protocols: string | string[] | undefined): string | null {
  const list = typeof protocols === "string" ? [protocols] : Array.isArray(protocols) ? protocols : [];
  for (const entry of list) {
    if (typeof entry !== "string" || !entry.startsWith(AUTH_TOKEN_PREFIX)) continue;
    const bytes = decodeBase64(entry.slice(AUTH_TOKEN_PREFIX.length));
    if (bytes === null || bytes.length === 0) {
      throw new UsageError(`the ${AUTH_TOKEN_PREFIX} sub-protocol does not hold a base64 token`);
    }
    // Header values are byte strings: one char per decoded byte keeps the token's bytes exact.
    let token = "";
    for (const byte of bytes) token += String.fromCharCode(byte);
    return token;
  }
  return null;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 (standard alphabet, padded). Hand-written: `btoa` is missing on older React Native. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (n - i === 1) {
    const v = (bytes[i] as number) << 16;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + "==";
  } else if (n - i === 2) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + "=";
  }
  return out;
}

function sextet(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  if (code === 43 || code === 45) return 62; // + or -
  if (code === 47 || code === 95) return 63; // / or _
  return -1;
}

/** Decodes base64 in the standard or URL alphabet, padding optional; `null` if it is not base64. */
export function decodeBase64(input: string): Uint8Array | null {
  let end = input.length;
  while (end > 0 && input.charCodeAt(end - 1) === 61 /* = */) end--;
  if (input.length - end > 2 || end % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const v = sextet(input.charCodeAt(i));
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
