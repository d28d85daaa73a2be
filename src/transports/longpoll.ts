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
import { noop, rethrowAsync } from "../emitter";
import { AUTH_TOKEN_HEADER, AUTH_TOKEN_PREFIX, DEFAULT_LONGPOLLER_TIMEOUT, type SocketReadyState } from "../protocol";

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

/** Protocol body of every long-poll answer, as the server sends it (fields unchecked). */
interface PollBody {
  status: unknown;
  token: unknown;
  messages: unknown;
}

type Method = "GET" | "POST";

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
  readyState: SocketReadyState = 0;
  /** Bound of each request, in ms (the socket's `longpollerTimeout`). */
  timeout: number = DEFAULT_LONGPOLLER_TIMEOUT;
  /** Every poll proves liveness, so the socket needs no heartbeat. */
  readonly skipHeartbeat = true;
  /** Binary messages are always delivered as `ArrayBuffer`; kept for WebSocket parity. */
  binaryType: "arraybuffer" | "blob" = "arraybuffer";
  /** The long-poll endpoint (http/https, path ending in `/longpoll`). */
  readonly url: string;
  /** The same URL under phoenix.js's name for it. */
  readonly pollEndpoint: string;
  /** No sub-protocol is negotiated over HTTP. */
  readonly protocol = "";

  onopen: (event: LongPollOpenEvent) => void = noop;
  onerror: (error: LongPollError) => void = noop;
  onmessage: (event: LongPollMessageEvent) => void = noop;
  onclose: (event: LongPollCloseEvent) => void = noop;

  /** The raw auth token for `X-Phoenix-AuthToken`, if one was offered. */
  private readonly _auth: string | undefined;
  private readonly _fetch: LongPollFetch | undefined;
  /** `url` without any `token` param, ending in `token=` for the session token. */
  private readonly _tokenURL: string;
  private _token?: string;
  /** Cancels every pending timer and request (aborting it): all we must undo on stop. */
  private readonly _jobs = new Set<() => void>();
  private _outbox: string[] = [];
  /** A flush is scheduled or a POST is in flight: new pushes wait for it. */
  private _posting?: boolean;

  /**
   * @param endPointURL the socket's endpoint: `ws(s)://host/path/websocket?...` or http(s).
   * @param protocols WebSocket sub-protocols; only a `base64url.bearer.phx.` entry is used.
   * @param options a `fetch` to use instead of the global one.
   * @throws {UsageError} if the URL is empty or the bearer entry is not base64.
   */
  constructor(endPointURL: string, protocols?: string | string[], options?: LongPollOptions) {
    const endPoint = typeof endPointURL == "string" && endPointURL.trim();
    if (!endPoint) throw new UsageError("LongPoll needs an endpoint URL");
    this.url = this.pollEndpoint = toLongPollURL(endPoint);
    // A connect param named `token` would shadow the session token: it is dropped.
    const [base, query = ""] = this.url.split(/\?([^]*)/);
    const params = query.split("&").filter((pair) => pair && pair.split("=")[0] != "token");
    this._tokenURL = `${base}?${[...params, "token="].join("&")}`;
    for (const entry of [protocols].flat()) {
      if (typeof entry == "string" && entry.startsWith(AUTH_TOKEN_PREFIX)) {
        const bytes = decodeBase64(entry.slice(AUTH_TOKEN_PREFIX.length));
        if (!bytes?.length) throw new UsageError(`${AUTH_TOKEN_PREFIX} token is not base64`);
        // Header values are byte strings: one char per decoded byte keeps the token's bytes exact.
        this._auth = bytes.reduce((token, byte) => token + String.fromCharCode(byte), "");
        break;
      }
    }
    this._fetch = options?.fetch;
    // Deferred so the caller can set callbacks and `timeout` first, or close us right away.
    this._after(0, () => this._request("GET"));
  }

  /**
   * Queues a message. Messages sent in the same tick go out in one ndjson POST; binary ones
   * as a base64 line.
   * @throws {UsageError} before the session is open, or for data that is not a string or bytes.
   */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    let line = data as string;
    if (typeof data != "string") {
      if (data instanceof ArrayBuffer) data = new Uint8Array(data);
      if (!ArrayBuffer.isView(data)) throw new UsageError("LongPoll.send: not a string or bytes");
      line = encodeBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    if (!this.readyState) throw new UsageError("LongPoll.send: not open yet");
    // Like a WebSocket, a closed transport drops what it is given.
    if (this.readyState == 1) {
      this._outbox.push(line);
      if (!this._posting) {
        this._posting = true;
        this._after(0, () => this._post());
      }
    }
  }

  /**
   * Stops for good: aborts every request, drops queued pushes and undelivered messages, and
   * reports `onclose` synchronously. Closing twice does nothing.
   */
  close(code?: number, reason?: string): void {
    if (this.readyState < 3) {
      this._stop();
      this.onclose({ type: "close", code: code ?? 1005, reason: reason ?? "", wasClean: true });
    }
  }

  private _stop(): void {
    this.readyState = 3;
    this._jobs.forEach((cancel) => cancel());
    this._jobs.clear();
    this._outbox = [];
  }

  /**
   * Runs `fn` after `ms` unless we stop first (which also aborts `controller`). The returned
   * `claim` is true for whoever comes first, the caller settling early or the timer.
   */
  private _after(ms: number, fn: () => void, controller?: AbortController): () => boolean {
    const cancel = () => {
      clearTimeout(timer);
      controller?.abort();
    };
    const claim = () => this._jobs.delete(cancel) && (clearTimeout(timer), true);
    const timer = setTimeout(() => claim() && (cancel(), fn()), ms);
    this._jobs.add(cancel);
    return claim;
  }

  private _fail(
    reason: LongPollFailure,
    method: Method,
    status: number | null,
    detail = `${reason} (${status})`,
    options?: { cause: unknown },
  ): void {
    // The codes of LONGPOLL_CLOSE_CODES; every other failure closes with 1011.
    const codes: Partial<Record<LongPollFailure, number>> = { session_gone: 3410, forbidden: 1008, timeout: 1005 };
    const code = codes[reason];
    this._stop();
    // A throwing onerror must not cost the socket its close (and so its reconnect).
    try {
      this.onerror(new LongPollError(reason, method, status, `LongPoll ${method}: ${detail}`, options));
    } finally {
      const closeReason = code ? reason : "internal server error";
      this.onclose({ type: "close", code: code || 1011, reason: closeReason, wasClean: false });
    }
  }

  private _post(): void {
    const batch = this._outbox.splice(0, MAX_LONGPOLL_BATCH_SIZE);
    if ((this._posting = batch.length > 0)) this._request("POST", batch.join("\n"));
  }

  /**
   * One request, owned until it settles or we stop. Its answer is handled only while it is
   * still ours, so nothing reaches the callbacks after `close()`.
   */
  private _request(method: Method, body?: string): void {
    const fetch = this._fetch || LongPoll.fetch || (globalThis as { fetch?: LongPollFetch }).fetch;
    if (typeof fetch != "function") return this._fail("unsupported", method, null, "no fetch: set LongPoll.fetch");
    const controller = typeof AbortController < "u" ? new AbortController() : undefined;
    const ms = this.timeout > 0 && this.timeout < Infinity ? this.timeout : DEFAULT_LONGPOLLER_TIMEOUT;
    const claim = this._after(ms, () => this._fail("timeout", method, null, `no answer in ${ms} ms`), controller);
    const init: LongPollRequestInit = {
      method,
      headers: body == null ? { Accept: "application/json" } : { "Content-Type": "application/x-ndjson" },
      body,
      signal: controller?.signal,
    };
    if (body == null && this._auth) init.headers[AUTH_TOKEN_HEADER] = this._auth;
    const url = this._token == null ? this.url : this._tokenURL + encodeURIComponent(this._token);
    // Called on globalThis: a detached browser fetch throws "Illegal invocation". A synchronous
    // throw becomes a rejection, so it is reported like a network failure.
    new Promise<LongPollResponse>((resolve) => resolve(fetch.call(globalThis, url, init)))
      // The body is read under the same timeout and abort signal as the headers.
      .then(async (response) => [response.status, await response.text()] as const)
      .then(
        ([status, text]) => claim() && this._answer(method, status, text),
        (cause: unknown) => claim() && this._fail("network", method, null, "fetch failed", { cause }),
      )
      // An app callback that throws here surfaces as its own uncaught error, as it would from a
      // WebSocket event handler, not as an unhandled rejection under a misleading name.
      .catch(rethrowAsync);
  }

  /**
   * Acts on an HTTP answer, failing the transport when it is unusable. Each message is
   * delivered in its own macrotask, like WebSocket frames: promises a handler resolves settle
   * before the next one.
   */
  private _answer(method: Method, http: number, text: string): void {
    let body: PollBody | undefined;
    let parseError: { cause: unknown } | undefined;
    try {
      body = JSON.parse(text);
    } catch (cause) {
      parseError = { cause };
    }
    const { status, token, messages } = body || ({} as PollBody);
    const open = status == 410;
    // Phoenix answers HTTP 200 and puts the protocol status in the body; a non-2xx HTTP status
    // that disagrees with the body came from something else (a proxy, a different server).
    const valid = typeof status == "number" && http < 500 && (status == http || (http > 199 && http < 300));
    const code = valid ? status : http;
    const gone = valid && open && this._token != null;
    const ok =
      valid &&
      !gone &&
      (method == "POST"
        ? status == 200
        : open
          ? typeof token == "string"
          : status == 200
            ? Array.isArray(messages)
            : status == 204);
    if (!ok) {
      const reason = gone
        ? "session_gone"
        : // A proxy or a non-Phoenix server may answer a bare HTTP 403.
          code == 403 && (valid || parseError)
          ? "forbidden"
          : (valid ? status == 200 || open : typeof status != "number" && http < 500)
            ? "bad_response"
            : "server_error";
      return this._fail(reason, method, code, undefined, reason == "bad_response" ? parseError : undefined);
    }
    if (method == "POST") return this._post();
    if (typeof token == "string") this._token = token;
    if (status == 200) {
      for (const message of messages as unknown[]) {
        // Text messages start with `[` (V2) or `{` (V1); anything else is a base64 binary frame,
        // and a line that is not base64 is passed on as text for the socket's decoder.
        const bytes = typeof message == "string" && /^[^[{]/.test(message) && decodeBase64(message);
        const text = typeof message == "string" ? message : (JSON.stringify(message) ?? "");
        const data = bytes ? (bytes.buffer as ArrayBuffer) : text;
        this._after(0, () => this.onmessage({ type: "message", data }));
      }
    }
    try {
      if (open) {
        this.readyState = 1;
        this.onopen({ type: "open" });
      }
    } finally {
      // onopen may have closed us.
      if (this.readyState < 2) this._request("GET");
    }
  }
}

/** `ws://h/p/websocket?q` -> `http://h/p/longpoll?q`. String surgery, as React Native's URL is incomplete. */
export function toLongPollURL(endPoint: string): string {
  return endPoint
    .replace(/#[^]*/, "")
    .replace(/^ws(s?):/i, "http$1:")
    .replace(/^([^?]*)\/websocket\/?(?=\?|$)/, "$1/longpoll");
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Base64 (standard alphabet, padded). Hand-written: `btoa` is missing on older React Native. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = "";
  const n = bytes.length;
  for (let i = 0; i < n; i += 3) {
    // Bytes past the end read as undefined, which shifts as 0.
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63];
    out += (i + 1 < n ? ALPHABET[(v >> 6) & 63] : "=") + (i + 2 < n ? ALPHABET[v & 63] : "=");
  }
  return out;
}

/** Decodes base64 in the standard or URL alphabet, padding optional; `null` if it is not base64. */
export function decodeBase64(input: string): Uint8Array | null {
  const s = input.replace(/==?$/, "");
  const n = s.length;
  if (n % 4 == 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  for (let i = 0, acc = 0, bits = 0, o = 0; i < n; i++) {
    const c = s[i]!;
    const v = ALPHABET.indexOf(c == "-" ? "+" : c == "_" ? "/" : c);
    if (v < 0) return null;
    // Only the low bits matter: the bytes we store are truncated to 8 bits.
    acc = (acc << 6) | v;
    bits += 6;
    if (bits > 7) out[o++] = acc >> (bits -= 8);
  }
  return out;
}
