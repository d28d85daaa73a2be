/**
 * The long-poll transport of the reference server: Phoenix's `/socket/longpoll` over plain HTTP.
 *
 * Wire behaviour follows the recordings of Phoenix 1.7/1.8 (`lp-*`, `p18-lp-*`): every answer
 * is HTTP 200 with a JSON body whose `status` is the protocol status (200, 204, 403, 408, 410),
 * except OPTIONS (200, empty), other methods (400, empty) and server errors (500). Deliberate
 * differences from Phoenix, each because Phoenix's behaviour is a bug or a hazard:
 * - the session token is also accepted in `X-Phoenix-Longpoll-Token` (Phoenix 1.8.10+; 1.8.9 did not);
 * - a server-to-client binary frame is delivered as a base64 string in `messages` (Phoenix 1.7
 *   answers HTTP 500 and loses the poll); a V2 JSON message always starts with "[", so a client
 *   tells them apart;
 * - an undecodable POSTed frame ends the session at once and answers `{status: 408}` (Phoenix
 *   answers the same, but only after the poll window, because its session process crashed);
 * - a body over the size limit answers `{status: 413}` with HTTP 200 and leaves the session alive;
 * - an empty ndjson line (a trailing newline) is skipped instead of crashing the session.
 * Replaying the recordings, only these exchanges differ: lp-v2-binary #9 (base64 delivered, not
 * HTTP 500), p18-lp-token-header #1, #2 and so #4 (the header resumes the session, as 1.8.10+
 * would), and lp-auth-and-origin #1 on an `authToken: true` socket (that is the 1.8 behaviour,
 * p18-lp-auth-and-origin). The 408 of lp-v2-invalid-json-post comes at once, not after the window.
 * Node only.
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import { UsageError } from "../errors";
import { AUTH_TOKEN_HEADER, LONGPOLL_TOKEN_HEADER } from "../protocol";
import { DEFAULT_TOKEN_MAX_AGE_MS, newSessionId, signLongPollToken, verifyLongPollToken } from "./longpoll-token";
import { decodeParams } from "./params";
import type { ConnectInfo, MountInfo, ServerConnection, TransportSink } from "./transport";

/**
 * Tuning of a {@link LongPollTransport}; every field has a Phoenix-like default. A field left out
 * here is also read from the mount's `longpoll` object when the mount carries it.
 */
export interface LongPollTransportOptions {
  /** Largest POST body accepted, in bytes (default 8,000,000, Plug's `read_body` default). */
  maxBodyBytes?: number;
  /** How long a session token stays valid, in ms (default two weeks, Phoenix's `max_age`). */
  tokenMaxAgeMs?: number;
}

/** Phoenix's `read_body` default length. */
export const DEFAULT_LONGPOLL_MAX_BODY_BYTES = 8_000_000;

// What Plug answers with on every long-poll response; kept so the bytes match the recordings.
const BASE_HEADERS: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "cache-control": "max-age=0, private, must-revalidate",
  vary: "accept-encoding",
};
// Phoenix's generic error page; the recorded 500s carry no CORS header.
const ERROR_500_BODY = { errors: { detail: "500.json" } };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

interface HeldPoll {
  res: ServerResponse;
  gzip: boolean;
  token: string;
  timer: ReturnType<typeof setTimeout>;
  onGone: () => void;
}

/** One long-poll session: a connection plus the messages waiting for the next poll. */
class Session {
  connection: ServerConnection | null = null;
  readonly queue: string[] = [];
  held: HeldPoll | null = null;
  idleTimer: ReturnType<typeof setTimeout> | null = null;
  flushHandle: ReturnType<typeof setImmediate> | null = null;
  /** The connection ended (server close, decode error): queued messages may still be fetched once. */
  closing = false;
  ended = false;
  constructor(readonly id: string) {}
}

type BodyResult = { ok: true; body: Buffer } | { ok: false; reason: "too_large" | "aborted" };

/**
 * Serves `${mount.path}/longpoll` for one mount. The endpoint routes every request for that
 * path here (any method) and calls {@link LongPollTransport.close} when it shuts down.
 * @example
 * ```ts
 * const lp = new LongPollTransport(mount, secret);
 * server.on("request", (req, res) => {
 *   const url = new URL(req.url ?? "/", "http://localhost");
 *   if (url.pathname === `${mount.path}/longpoll`) lp.handle(req, res, url);
 * });
 * // later
 * lp.close();
 * ```
 */
export class LongPollTransport {
  private readonly sessions = new Map<string, Session>();
  private readonly windowMs: number;
  private readonly sessionTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly tokenMaxAgeMs: number;
  private closed = false;

  constructor(
    private readonly mount: MountInfo,
    private readonly secret: Uint8Array | string,
    options: LongPollTransportOptions = {},
  ) {
    if (mount.longpoll === false) throw new UsageError(`socket ${mount.path} has long-poll disabled`);
    if (typeof secret === "string" ? secret.length === 0 : secret.byteLength === 0) {
      throw new UsageError("the long-poll token secret must not be empty");
    }
    this.windowMs = mount.longpoll.windowMs;
    this.sessionTimeoutMs = mount.longpoll.sessionTimeoutMs ?? Math.round(mount.longpoll.windowMs * 1.5);
    // MountInfo may grow these members (the contract allows additions); use them when present.
    const extra = mount.longpoll as { maxBodyBytes?: unknown; tokenMaxAgeMs?: unknown };
    this.maxBodyBytes = options.maxBodyBytes ?? positive(extra.maxBodyBytes) ?? DEFAULT_LONGPOLL_MAX_BODY_BYTES;
    this.tokenMaxAgeMs = options.tokenMaxAgeMs ?? positive(extra.tokenMaxAgeMs) ?? DEFAULT_TOKEN_MAX_AGE_MS;
  }

  /** Live sessions (for tests and metrics). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Answers one HTTP request to `${path}/longpoll`. Never throws; failures become HTTP answers. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void {
    try {
      this.dispatch(req, res, url);
    } catch {
      this.sendError(req, res);
    }
  }

  /**
   * Ends every session (their connections terminate with reason "shutdown"), answers held polls
   * with `{status: 410}` and clears every timer. Requests arriving later get HTTP 503.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of [...this.sessions.values()]) this.endSession(session, "shutdown", true);
    this.sessions.clear();
  }

  // ------------------------------------------------------------------ routing

  private dispatch(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (this.closed) {
      sendJson(req, res, { status: 500 }, 503);
      return;
    }
    // Phoenix checks the origin before looking at the method, so even OPTIONS gets a 403 body.
    const origin = headerValue(req, "origin");
    if (origin !== undefined && !this.mount.checkOrigin(origin)) {
      sendJson(req, res, { status: 403 });
      return;
    }
    switch (req.method) {
      case "OPTIONS":
        sendOptions(req, res);
        return;
      case "GET":
        this.onGet(req, res, url);
        return;
      case "POST":
        this.onPost(req, res, url);
        return;
      default:
        sendEmpty(res, 400);
    }
  }

  /** The first token (header, then query) naming a live session of this mount. */
  private resume(req: IncomingMessage, url: URL): { session: Session; token: string } | null {
    const candidates = [headerValue(req, LONGPOLL_TOKEN_HEADER), url.searchParams.get("token") ?? undefined];
    for (const token of candidates) {
      if (token === undefined) continue;
      const verified = verifyLongPollToken(this.secret, token, { path: this.mount.path });
      if (!verified.ok) continue;
      const session = this.sessions.get(verified.claims.sid);
      if (session === undefined || session.ended) continue;
      return { session, token: this.refreshed(token, verified.claims.exp, session.id) };
    }
    return null;
  }

  /** Re-signs a token past half its life, so a session polled for weeks never outlives its token. */
  private refreshed(token: string, exp: number, sid: string): string {
    if (exp - Date.now() > this.tokenMaxAgeMs / 2) return token;
    return signLongPollToken(this.secret, { path: this.mount.path, sid, maxAgeMs: this.tokenMaxAgeMs });
  }

  // ------------------------------------------------------------------ GET: open or poll

  private onGet(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const resumed = this.resume(req, url);
    if (resumed === null) {
      // Nothing may escape as an unhandled rejection: that would take the whole server down.
      this.openSession(req, res, url).catch(() => this.sendError(req, res));
      return;
    }
    const { session, token } = resumed;
    if (session.queue.length > 0 || session.closing) {
      this.answerPoll(session, req, res, token);
      return;
    }
    this.holdPoll(session, req, res, token);
  }

  private async openSession(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const session = new Session(newSessionId());
    const sink: TransportSink = {
      send: (frame) => this.enqueue(session, frame),
      close: () => this.serverClosed(session),
    };
    const connectInfo: ConnectInfo = {
      transport: "longpoll",
      headers: req.headers,
    };
    const origin = headerValue(req, "origin");
    if (origin !== undefined) connectInfo.origin = origin;
    if (req.socket.remoteAddress !== undefined) connectInfo.remoteAddress = req.socket.remoteAddress;
    // Phoenix 1.8 reads the auth token raw (no base64), and only when a session is created.
    const authToken = headerValue(req, AUTH_TOKEN_HEADER);
    if (this.mount.authTokenEnabled && authToken !== undefined) connectInfo.authToken = authToken;

    let result;
    try {
      result = await this.mount.accept({
        transport: "longpoll",
        vsn: url.searchParams.get("vsn"),
        // A connect param named `token` collides with the session token, as in Phoenix: it was
        // tried as a session token first, and now reaches connect as a param.
        params: decodeParams(url.searchParams, ["vsn"]),
        connectInfo,
        sink,
      });
    } catch {
      this.sendError(req, res);
      return;
    }
    if (!result.ok) {
      sendJson(req, res, { status: 403 });
      return;
    }
    if (this.closed) {
      session.ended = true;
      safeTerminate(result.connection, "shutdown");
      sendJson(req, res, { status: 500 }, 503);
      return;
    }
    session.connection = result.connection;
    this.sessions.set(session.id, session);
    if (session.closing) {
      // connect's own code closed the connection already; nothing will ever be polled.
      this.endSession(session, "closed", false);
    } else {
      this.armIdle(session);
    }
    const token = signLongPollToken(this.secret, { path: this.mount.path, sid: session.id, maxAgeMs: this.tokenMaxAgeMs });
    sendJson(req, res, { messages: [], status: 410, token });
  }

  private holdPoll(session: Session, req: IncomingMessage, res: ServerResponse, token: string): void {
    // A newer poll replaces an older one still held (the client gave up on it, or two tabs race).
    if (session.held !== null) this.release(session, 204);
    this.disarmIdle(session);
    const onGone = (): void => {
      // The client went away mid-poll: keep its messages for the next poll.
      if (session.held?.res !== res) return;
      clearTimeout(session.held.timer);
      session.held = null;
      if (!session.ended) this.armIdle(session);
    };
    const timer = setTimeout(() => this.release(session, 204), this.windowMs);
    session.held = { res, gzip: acceptsGzip(req), token, timer, onGone };
    res.once("close", onGone);
  }

  /** Answers the held poll now: with the queued messages, or empty with `status`. */
  private release(session: Session, emptyStatus: 204 | 410): void {
    const held = session.held;
    if (held === null) return;
    session.held = null;
    clearTimeout(held.timer);
    held.res.off("close", held.onGone);
    if (session.flushHandle !== null) {
      clearImmediate(session.flushHandle);
      session.flushHandle = null;
    }
    if (held.res.destroyed) {
      // The client is gone and its "close" event is still queued: keep the messages for the next poll.
      if (!session.ended) this.armIdle(session);
      return;
    }
    const messages = session.queue.splice(0);
    if (messages.length > 0) {
      writeJson(held.res, held.gzip, { messages, status: 200, token: held.token });
    } else if (emptyStatus === 204) {
      writeJson(held.res, held.gzip, { messages: [], status: 204, token: held.token });
    } else {
      writeJson(held.res, held.gzip, { status: 410 });
    }
    this.afterPoll(session);
  }

  private answerPoll(session: Session, req: IncomingMessage, res: ServerResponse, token: string): void {
    if (session.held !== null) this.release(session, 204);
    const messages = session.queue.splice(0);
    if (messages.length > 0) sendJson(req, res, { messages, status: 200, token });
    else sendJson(req, res, { status: 410 });
    this.afterPoll(session);
  }

  /** A closing session lives only until its last messages are fetched. */
  private afterPoll(session: Session): void {
    if (session.ended) return;
    if (session.closing && session.queue.length === 0) this.endSession(session, "closed", false);
    else this.armIdle(session);
  }

  // ------------------------------------------------------------------ POST: client messages

  private onPost(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const resumed = this.resume(req, url);
    if (resumed === null || resumed.session.closing) {
      discardBody(req);
      sendJson(req, res, { status: 410 });
      return;
    }
    const { session } = resumed;
    readBody(req, this.maxBodyBytes)
      .then((read) => this.publish(session, req, res, read))
      .catch(() => this.sendError(req, res));
  }

  /** Hands a POSTed body to the session's connection and answers the POST. */
  private publish(session: Session, req: IncomingMessage, res: ServerResponse, read: BodyResult): void {
    if (!read.ok) {
      if (read.reason === "too_large") sendJson(req, res, { status: 413 }, 200, true);
      return;
    }
    if (session.ended || session.closing || session.connection === null) {
      sendJson(req, res, { status: 410 });
      return;
    }
    const frames = splitFrames(read.body, headerValue(req, "content-type"));
    if (frames === null) {
      // Phoenix decodes every line before dispatching any, and a bad base64 line raises: HTTP 500.
      this.sendError(req, res);
      return;
    }
    const connection = session.connection;
    for (const frame of frames) {
      // A frame may make the server close this connection (e.g. a "disconnect"): the rest is moot.
      if (session.closing) break;
      if (!deliver(connection, frame)) {
        // Like a WebSocket closed with 1011: the connection cannot trust the rest of the stream.
        this.endSession(session, "invalid frame", false);
        sendJson(req, res, { status: 408 });
        return;
      }
    }
    sendJson(req, res, { status: 200 });
  }

  // ------------------------------------------------------------------ outbound and lifecycle

  private enqueue(session: Session, frame: string | Uint8Array): void {
    if (session.ended || session.closing) return;
    session.queue.push(typeof frame === "string" ? frame : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength).toString("base64"));
    // Frames sent in the same turn (a reply and the broadcasts it caused) go out in one answer.
    if (session.held !== null && session.flushHandle === null) {
      session.flushHandle = setImmediate(() => {
        session.flushHandle = null;
        this.release(session, 204);
      });
    }
  }

  /** The server side closed the connection (e.g. a "disconnect" broadcast to the socket id). */
  private serverClosed(session: Session): void {
    if (session.ended || session.closing) return;
    session.closing = true;
    if (session.connection === null) return; // still inside accept(); openSession finishes the job
    if (session.held !== null) {
      if (session.flushHandle !== null) clearImmediate(session.flushHandle);
      session.flushHandle = null;
      this.release(session, 410);
    }
  }

  private endSession(session: Session, reason: string, answerHeld: boolean): void {
    if (session.ended) return;
    session.ended = true;
    session.closing = true;
    this.sessions.delete(session.id);
    this.disarmIdle(session);
    if (session.flushHandle !== null) {
      clearImmediate(session.flushHandle);
      session.flushHandle = null;
    }
    const held = session.held;
    if (held !== null) {
      session.held = null;
      clearTimeout(held.timer);
      held.res.off("close", held.onGone);
      if (answerHeld) writeJson(held.res, held.gzip, { status: 410 });
      else held.res.destroy();
    }
    session.queue.length = 0;
    const connection = session.connection;
    session.connection = null;
    if (connection !== null) safeTerminate(connection, reason);
  }

  private armIdle(session: Session): void {
    this.disarmIdle(session);
    session.idleTimer = setTimeout(() => {
      session.idleTimer = null;
      this.endSession(session, "timeout", true);
    }, this.sessionTimeoutMs);
  }

  private disarmIdle(session: Session): void {
    if (session.idleTimer !== null) {
      clearTimeout(session.idleTimer);
      session.idleTimer = null;
    }
  }

  private sendError(req: IncomingMessage, res: ServerResponse): void {
    // Phoenix's error view answers without the CORS header the transport would have added.
    writeJson(res, acceptsGzip(req), ERROR_500_BODY, 500, false, false);
  }
}

// ------------------------------------------------------------------ helpers

function positive(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(", ") : value;
}

function acceptsGzip(req: IncomingMessage): boolean {
  return /\bgzip\b/i.test(headerValue(req, "accept-encoding") ?? "");
}

function safeTerminate(connection: ServerConnection, reason: string): void {
  try {
    connection.terminate(reason);
  } catch {
    // A channel's terminate callback failing must not take other sessions down with it.
  }
}

function deliver(connection: ServerConnection, frame: string | Uint8Array): boolean {
  try {
    return connection.receive(frame);
  } catch {
    return false;
  }
}

/**
 * The frames of a POST body: ndjson lines (a line not starting with "[" is base64 of a binary
 * frame) or, for any other content type, the whole body as one text frame. Null when a line is
 * not valid base64.
 */
function splitFrames(body: Buffer, contentType: string | undefined): Array<string | Uint8Array> | null {
  const text = body.toString("utf8");
  if (!(contentType ?? "").toLowerCase().startsWith("application/x-ndjson")) return [text];
  const frames: Array<string | Uint8Array> = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === "") continue;
    if (line.startsWith("[")) frames.push(line);
    else if (BASE64.test(line)) frames.push(new Uint8Array(Buffer.from(line, "base64")));
    else return null;
  }
  return frames;
}

function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(headerValue(req, "content-length"));
    if (Number.isFinite(declared) && declared > limit) {
      discardBody(req);
      resolve({ ok: false, reason: "too_large" });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult): void => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on("data", (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        finish({ ok: false, reason: "too_large" });
        return;
      }
      chunks.push(chunk);
    });
    req.once("end", () => finish({ ok: true, body: Buffer.concat(chunks, size) }));
    req.once("error", () => finish({ ok: false, reason: "aborted" }));
    req.once("close", () => finish({ ok: false, reason: "aborted" }));
  });
}

/** Lets an unread body flow away, so the client can finish sending and read our answer. */
function discardBody(req: IncomingMessage): void {
  req.on("error", () => undefined);
  req.resume();
}

function jsonBody(value: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(value));
}

function writeJson(
  res: ServerResponse,
  gzip: boolean,
  value: Record<string, unknown>,
  httpStatus = 200,
  closeAfter = false,
  cors = true,
): void {
  if (res.headersSent || res.destroyed) return;
  let body = jsonBody(value);
  const headers: Record<string, string> = { ...BASE_HEADERS, "content-type": "application/json; charset=utf-8" };
  if (!cors) delete headers["access-control-allow-origin"];
  // Bandit compresses whenever the client accepts it; the recordings show it, so do the same.
  if (gzip) {
    body = gzipSync(body);
    headers["content-encoding"] = "gzip";
  }
  headers["content-length"] = String(body.length);
  if (closeAfter) headers.connection = "close";
  res.writeHead(httpStatus, headers);
  res.end(body);
}

function sendJson(req: IncomingMessage, res: ServerResponse, value: Record<string, unknown>, httpStatus = 200, closeAfter = false): void {
  writeJson(res, acceptsGzip(req), value, httpStatus, closeAfter);
}

function sendOptions(req: IncomingMessage, res: ServerResponse): void {
  const requested = req.headers["access-control-request-headers"];
  res.writeHead(200, {
    "access-control-allow-headers": Array.isArray(requested) ? requested.join(", ") : (requested ?? ""),
    "access-control-allow-methods": "get, post, options",
    "access-control-allow-origin": "*",
    "access-control-max-age": "3600",
    "cache-control": BASE_HEADERS["cache-control"],
    "content-length": "0",
    vary: "accept-encoding",
  });
  res.end();
}

function sendEmpty(res: ServerResponse, status: number): void {
  res.writeHead(status, { ...BASE_HEADERS, "content-length": "0" });
  res.end();
}
