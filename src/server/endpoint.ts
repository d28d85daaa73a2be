/**
 * The endpoint: an HTTP server (own or attached) with socket paths mounted on it, the pub/sub
 * that channels broadcast through, and the registry of socket ids.
 * @module
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { UsageError } from "../errors";
import type { ChannelProcess } from "./channel";
import type { Connection } from "./connection";
import { LongPollTransport } from "./longpoll";
import { Mount, normalizePath, type SocketOptions } from "./mount";
import { PubSub, type Subscriber } from "./pubsub";
import { serveStatic } from "./static";
import type { Assigns, ChannelSocket, EndpointLike, Logger, Payload } from "./types";
import { CLOSE_CODES, WebSocketTransport, rejectUpgrade } from "./websocket";

/**
 * Options of an {@link Endpoint}.
 */
export interface EndpointOptions {
  /** Where crashes and refusals are reported. `false` silences everything. Default: console warn/error. */
  logger?: Logger | false;
  /** Secret signing long-poll session tokens. Default: random per endpoint (tokens die with it). */
  secret?: string | Uint8Array;
  /** Serve files from this directory for HTTP requests no socket path claims. */
  static?: { dir: string };
  /**
   * Handles HTTP requests no socket path claims (after `static`, if both are set).
   * Default: 404 with an empty body.
   */
  httpHandler?: (req: IncomingMessage, res: ServerResponse) => void;
}

/** Where {@link Endpoint.listen} binds. */
export interface ListenOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** 0 picks a free port. Default 4000. */
  port?: number;
}

const consoleLogger: Logger = {
  warn: (m, meta) => console.warn(`[phx-channels/server] ${m}`, meta ?? ""),
  error: (m, meta) => console.error(`[phx-channels/server] ${m}`, meta ?? ""),
};

interface MountRuntime {
  mount: Mount;
  ws: WebSocketTransport | undefined;
  lp: LongPollTransport | undefined;
}

/**
 * A Phoenix-like endpoint: mount sockets, then `listen` (or `attach` to your own server).
 * @example
 * ```ts
 * import { Endpoint, ok, joined } from "phx-channels/server";
 *
 * const endpoint = new Endpoint();
 * endpoint.socket("/socket", {
 *   channels: {
 *     "room:*": {
 *       join: () => joined(),
 *       handleIn: (event, payload) => ok(payload),
 *     },
 *   },
 * });
 * const port = await endpoint.listen({ port: 0 });
 * // ws://127.0.0.1:${port}/socket/websocket?vsn=2.0.0
 * endpoint.broadcast("room:lobby", "news", { text: "hi" });
 * await endpoint.close();
 * ```
 */
export class Endpoint implements EndpointLike {
  private readonly mounts = new Map<string, MountRuntime>();
  private readonly pubsub = new PubSub();
  private readonly ids = new Map<string, Set<Connection>>();
  private readonly connections = new Set<Connection>();
  private readonly logger: Logger;
  private readonly secret: string | Uint8Array;
  private server: Server | undefined;
  private ownsServer = false;
  private closing: Promise<void> | undefined;
  private readonly onRequest = (req: IncomingMessage, res: ServerResponse) => this.handleRequest(req, res);
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head);

  constructor(private readonly options: EndpointOptions = {}) {
    this.logger = options.logger === false ? {} : (options.logger ?? consoleLogger);
    this.secret = options.secret ?? randomBytes(32);
  }

  /**
   * Mounts a socket at `path` (WebSocket at `path/websocket`, long-poll at `path/longpoll`).
   * @returns the endpoint, for chaining.
   */
  socket<A extends Assigns = Assigns>(path: string, options: SocketOptions<A>): this {
    const p = normalizePath(path);
    if (this.mounts.has(p)) throw new UsageError(`a socket is already mounted at ${p}`);
    if (this.closing) throw new UsageError("the endpoint is closed");
    const mount = new Mount(p, options as unknown as SocketOptions, {
      endpoint: this.channelEndpoint,
      reportError: (m, meta) => this.logger.error?.(m, meta),
      register: (c) => this.register(c),
      forget: (c) => this.forget(c),
    });
    const ws = mount.websocket ? new WebSocketTransport(mount, mount.websocket) : undefined;
    const lp = mount.longpoll ? new LongPollTransport(mount, this.secret) : undefined;
    this.mounts.set(p, { mount, ws, lp });
    return this;
  }

  /** The port the endpoint listens on (after {@link Endpoint.listen} or {@link Endpoint.attach} to a listening server). */
  get port(): number | undefined {
    const addr = this.server?.address();
    return addr && typeof addr === "object" ? (addr as AddressInfo).port : undefined;
  }

  /** Open connections, all transports. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Starts an HTTP server of its own.
   * @returns the bound port (useful with `port: 0`).
   */
  async listen(options: ListenOptions = {}): Promise<number> {
    if (this.server) throw new UsageError("the endpoint is already listening or attached");
    if (this.closing) throw new UsageError("the endpoint is closed");
    const server = createServer();
    this.attach(server);
    this.ownsServer = true;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        server.off("listening", onListening);
        reject(err);
      };
      const onListening = () => {
        server.off("error", onError);
        resolve();
      };
      server.once("error", onError);
      server.once("listening", onListening);
      server.listen(options.port ?? 4000, options.host ?? "127.0.0.1");
    });
    return this.port as number;
  }

  /**
   * Serves the mounted sockets from an existing `node:http` server. Requests and upgrades for
   * other paths are left to the server's other listeners (or answered 404 if there are none).
   */
  attach(server: Server): void {
    if (this.server) throw new UsageError("the endpoint is already listening or attached");
    this.server = server;
    server.on("request", this.onRequest);
    server.on("upgrade", this.onUpgrade);
  }

  /**
   * Closes every connection (WebSocket clients get close code 1001, so they reconnect), ends
   * long-poll sessions, stops the server if the endpoint started it, and leaves no timer behind.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const { ws, lp } of this.mounts.values()) {
      lp?.close();
      if (ws) jobs.push(ws.close(CLOSE_CODES.goingAway));
    }
    await Promise.all(jobs);
    for (const c of [...this.connections]) c.terminate("shutdown");
    const server = this.server;
    if (!server) return;
    server.off("request", this.onRequest);
    server.off("upgrade", this.onUpgrade);
    if (this.ownsServer) {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    }
  }

  // ------------------------------------------------------------ broadcasting

  /**
   * Sends `event` to every channel joined to `topic` on any connection, as
   * `[null, null, topic, event, payload]`. A `"disconnect"` broadcast to a socket id (see
   * `SocketOptions.id`) closes every connection with that id (code 1001), as in Phoenix.
   * @example
   * ```ts
   * endpoint.broadcast("room:lobby", "news", { text: "deploy at 5" });
   * endpoint.broadcast("users_socket:42", "disconnect", {}); // log user 42 out everywhere
   * ```
   */
  broadcast(topic: string, event: string, payload: Payload): void {
    if (event === "disconnect") this.disconnectId(topic);
    this.pubsub.broadcast(topic, event, payload);
  }

  /**
   * Same as {@link Endpoint.broadcast}, except the channel `from` (e.g. the sender).
   * @example
   * ```ts
   * handleIn(event, payload, socket) { endpoint.broadcastFrom(socket, socket.topic, "typing", payload); return noreply(); }
   * ```
   */
  broadcastFrom(from: ChannelSocket, topic: string, event: string, payload: Payload): void {
    this.pubsub.broadcast(topic, event, payload, isSubscriber(from) ? from : undefined);
  }

  /**
   * Pushes `event` to one joined channel (`[join_ref, null, topic, event, payload]`).
   * @example
   * ```ts
   * let lobby: ChannelSocket | undefined;
   * // in join: lobby = socket;
   * endpoint.push(lobby, "welcome", { text: "hi" });
   * ```
   */
  push(to: ChannelSocket, event: string, payload: Payload): void {
    to.push(event, payload);
  }

  /** Number of channels, over all connections, joined to `topic`. */
  subscribers(topic: string): number {
    return this.pubsub.count(topic);
  }

  private readonly channelEndpoint = {
    broadcast: (topic: string, event: string, payload: Payload) => this.broadcast(topic, event, payload),
    broadcastFrom: (from: ChannelSocket, topic: string, event: string, payload: Payload) =>
      this.broadcastFrom(from, topic, event, payload),
    broadcastFromSubscriber: (from: Subscriber, topic: string, event: string, payload: Payload) => {
      this.pubsub.broadcast(topic, event, payload, from);
    },
    subscribe: (topic: string, ch: ChannelProcess) => this.pubsub.subscribe(topic, ch),
    unsubscribe: (topic: string, ch: ChannelProcess) => this.pubsub.unsubscribe(topic, ch),
  };

  private disconnectId(id: string): void {
    const conns = this.ids.get(id);
    if (!conns) return;
    for (const c of [...conns]) c.close(CLOSE_CODES.goingAway, "");
  }

  private register(conn: Connection): void {
    if (this.closing) {
      conn.close(CLOSE_CODES.goingAway, "");
      return;
    }
    this.connections.add(conn);
    if (conn.id === null) return;
    let set = this.ids.get(conn.id);
    if (!set) this.ids.set(conn.id, (set = new Set()));
    set.add(conn);
  }

  private forget(conn: Connection): void {
    this.connections.delete(conn);
    if (conn.id === null) return;
    const set = this.ids.get(conn.id);
    if (!set) return;
    set.delete(conn);
    if (set.size === 0) this.ids.delete(conn.id);
  }

  // ------------------------------------------------------------ HTTP routing

  private locate(pathname: string, suffix: "/websocket" | "/longpoll"): MountRuntime | undefined {
    if (!pathname.endsWith(suffix)) return undefined;
    return this.mounts.get(pathname.slice(0, -suffix.length) || "/");
  }

  private handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      rejectUpgrade(socket, 400);
      return;
    }
    const rt = this.locate(url.pathname, "/websocket");
    if (rt?.ws && !this.closing) {
      rt.ws.handleUpgrade(req, socket, head, url);
      return;
    }
    // Someone else on an attached server may serve this upgrade.
    if (this.server && this.server.listenerCount("upgrade") > 1) return;
    rejectUpgrade(socket, 404);
  }

  private handleRequest(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
    } catch {
      res.writeHead(400).end();
      return;
    }
    const lp = this.locate(url.pathname, "/longpoll");
    if (lp?.lp) {
      lp.lp.handle(req, res, url);
      return;
    }
    void this.fallback(req, res, url);
  }

  private async fallback(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      if (this.options.static && (await serveStatic(this.options.static.dir, req, res, url.pathname))) return;
      if (this.options.httpHandler) {
        this.options.httpHandler(req, res);
        return;
      }
      // Leave the request to the attached server's other listeners, if any.
      if (!this.ownsServer && this.server && this.server.listenerCount("request") > 1) return;
      if (!res.headersSent) res.writeHead(404, { "content-length": 0 }).end();
    } catch (error) {
      this.logger.error?.("HTTP handler failed", { url: req.url, error });
      if (!res.headersSent) res.writeHead(500, { "content-length": 0 }).end();
      else res.destroy();
    }
  }
}

function isSubscriber(v: unknown): v is Subscriber {
  return typeof v === "object" && v !== null && typeof (v as { deliver?: unknown }).deliver === "function";
}
