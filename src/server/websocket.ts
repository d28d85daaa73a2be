/**
 * The WebSocket transport of one mount, on `ws` in `noServer` mode: the handshake is decided
 * before upgrading (origin, auth-token sub-protocol, vsn, connect) so refusals are plain HTTP
 * answers with an empty body, exactly as Phoenix (Bandit) sends them.
 * @module
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket, type RawData } from "ws";
import { AUTH_TOKEN_PREFIX, PHOENIX_SUBPROTOCOL } from "../protocol";
import type { Mount } from "./mount";
import { baseConnectInfo } from "./mount";
import { decodeParams } from "./params";
import type { ServerConnection, TransportSink } from "./transport";

/** Close codes the WebSocket transport uses (RFC 6455), as Phoenix/Bandit send them. */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  /** Bandit closes an idle connection with 1002. */
  idle: 1002,
  tooBig: 1009,
  /** An undecodable frame. */
  serverError: 1011,
} as const;

const PHOENIX_HEADERS = "cache-control: max-age=0, private, must-revalidate\r\n";
const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error" };

/** Answers a handshake with a plain HTTP response and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, opts: { protocol?: string; body?: string; contentType?: string } = {}): void {
  if (socket.destroyed) return;
  const body = opts.body ?? "";
  let head = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? "Error"}\r\n${PHOENIX_HEADERS}`;
  head += `content-length: ${Buffer.byteLength(body)}\r\n`;
  if (opts.contentType) head += `content-type: ${opts.contentType}\r\n`;
  head += `date: ${new Date().toUTCString()}\r\n`;
  if (opts.protocol) head += `sec-websocket-protocol: ${opts.protocol}\r\n`;
  head += "vary: accept-encoding\r\nconnection: close\r\n\r\n";
  socket.end(head + body);
}

/**
 * Standard base64 with optional padding, strictly: anything else (URL alphabet, `%`) is undecodable,
 * which Phoenix 1.8 answers with HTTP 500.
 */
function decodeBearer(value: string): string | undefined {
  const unpadded = value.replace(/={1,2}$/, "");
  if (!/^[A-Za-z0-9+/]*$/.test(unpadded) || unpadded.length % 4 === 1) return undefined;
  return Buffer.from(unpadded, "base64").toString("utf8");
}

type Handshake =
  | { ok: true; protocol: string | undefined; authToken: string | undefined }
  | { ok: false; status: 403 | 500; protocol: string | undefined };

/** Phoenix 1.8's reading of `Sec-WebSocket-Protocol` on a socket with `auth_token: true`. */
function readProtocols(header: string | undefined, authTokenEnabled: boolean): Handshake {
  // Without auth_token Phoenix never answers a sub-protocol (the client may then abort).
  if (!authTokenEnabled || header === undefined) return { ok: true, protocol: undefined, authToken: undefined };
  const offered = header.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const bearers = offered.filter((p) => p.startsWith(AUTH_TOKEN_PREFIX));
  const rest = offered.filter((p) => !p.startsWith(AUTH_TOKEN_PREFIX));
  const protocol = rest.includes(PHOENIX_SUBPROTOCOL) ? PHOENIX_SUBPROTOCOL : undefined;
  let authToken: string | undefined;
  if (bearers.length === 1) {
    authToken = decodeBearer((bearers[0] as string).slice(AUTH_TOKEN_PREFIX.length));
    if (authToken === undefined) return { ok: false, status: 500, protocol: undefined };
  }
  if (rest.length > 0 && !protocol) return { ok: false, status: 403, protocol: undefined };
  return { ok: true, protocol, authToken };
}

/** The WebSocket side of one mount. */
export class WebSocketTransport {
  private readonly wss: WebSocketServer;
  private readonly chosen = new WeakMap<IncomingMessage, string>();
  private readonly pending = new Set<Duplex>();
  private closed = false;

  constructor(
    private readonly mount: Mount,
    private readonly opts: { maxFrameSize: number; idleTimeoutMs: number },
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: opts.maxFrameSize,
      perMessageDeflate: false,
      // Always decide ourselves: ws would otherwise echo the first offered protocol.
      handleProtocols: (_protocols, req) => this.chosen.get(req) ?? false,
    });
    this.wss.on("headers", (headers) => {
      headers.push("cache-control: max-age=0, private, must-revalidate");
    });
  }

  /** Number of open WebSocket connections. */
  get size(): number {
    return this.wss.clients.size;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    socket.on("error", () => socket.destroy());
    this.pending.add(socket);
    const done = () => this.pending.delete(socket);
    socket.once("close", done);
    void this.decide(req, socket, head, url).finally(done);
  }

  private async decide(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const mount = this.mount;
    const origin = typeof req.headers.origin === "string" ? req.headers.origin : undefined;
    if (!mount.checkOrigin(origin)) return rejectUpgrade(socket, 403);
    const hs = readProtocols(req.headers["sec-websocket-protocol"], mount.authTokenEnabled);
    if (!hs.ok) {
      if (hs.status === 500) {
        return rejectUpgrade(socket, 500, { body: '{"errors":{"detail":"500.json"}}', contentType: "application/json; charset=utf-8" });
      }
      return rejectUpgrade(socket, 403, hs.protocol ? { protocol: hs.protocol } : {});
    }
    const connectInfo = baseConnectInfo(req, "websocket");
    if (hs.authToken !== undefined) connectInfo.authToken = hs.authToken;

    // The connection may talk before the upgrade completes (never in practice: it only answers
    // frames), so the sink forwards to a socket that is bound a moment later.
    let ws: WebSocket | undefined;
    let closeLater: [number, string] | undefined;
    const sink: TransportSink = {
      send(frame) {
        if (ws && ws.readyState === 1) ws.send(frame, { binary: typeof frame !== "string" });
      },
      close(code, reason) {
        if (ws) ws.close(code, reason);
        else closeLater = [code, reason];
      },
    };
    const result = await mount.accept({
      transport: "websocket",
      vsn: url.searchParams.get("vsn"),
      params: decodeParams(url.searchParams, ["vsn"]),
      connectInfo,
      sink,
    });
    if (!result.ok) return rejectUpgrade(socket, 403, hs.protocol ? { protocol: hs.protocol } : {});
    const conn = result.connection;
    if (socket.destroyed || this.closed) {
      conn.terminate("closed");
      if (!socket.destroyed) socket.destroy();
      return;
    }
    if (hs.protocol) this.chosen.set(req, hs.protocol);
    this.wss.handleUpgrade(req, socket, head, (client) => {
      ws = client;
      this.bind(client, conn);
      if (closeLater) client.close(...closeLater);
    });
  }

  private bind(ws: WebSocket, conn: ServerConnection): void {
    const idleMs = this.opts.idleTimeoutMs;
    let idle: NodeJS.Timeout | undefined;
    if (idleMs > 0 && Number.isFinite(idleMs)) {
      idle = setTimeout(() => {
        // An idle peer may be gone without a FIN: free its channels now, and do not wait on a
        // close handshake it may never answer (ws would otherwise hold the socket for 30 s).
        conn.terminate("closed");
        ws.close(CLOSE_CODES.idle, "");
        const drop = setTimeout(() => ws.terminate(), CLOSE_HANDSHAKE_GRACE_MS);
        ws.once("close", () => clearTimeout(drop));
      }, idleMs);
    }
    const touch = () => idle?.refresh();
    ws.on("message", (data: RawData, isBinary: boolean) => {
      touch();
      const raw = isBinary ? toBytes(data) : toBytes(data).toString("utf8");
      let ok: boolean;
      try {
        ok = conn.receive(raw);
      } catch {
        ok = false;
      }
      if (!ok && ws.readyState === 1) ws.close(CLOSE_CODES.serverError, "");
    });
    ws.on("ping", touch);
    ws.on("pong", touch);
    // ws closes oversize (1009) and invalid UTF-8 (1007) frames itself, then reports them here.
    ws.on("error", () => undefined);
    ws.once("close", () => {
      if (idle) clearTimeout(idle);
      conn.terminate("closed");
    });
  }

  /**
   * Closes every connection with `code` (1001 by default, which clients treat as reconnectable),
   * and drops them after `graceMs` if they do not answer the close.
   */
  async close(code: number = CLOSE_CODES.goingAway, graceMs = 200): Promise<void> {
    this.closed = true;
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    const clients = [...this.wss.clients];
    await Promise.all(
      clients.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === 3) return resolve();
            const timer = setTimeout(() => ws.terminate(), graceMs);
            ws.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            try {
              ws.close(code, "");
            } catch {
              ws.terminate();
            }
          }),
      ),
    );
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** How long a closing connection may take to answer our close frame before it is dropped. */
const CLOSE_HANDSHAKE_GRACE_MS = 1000;

function toBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
