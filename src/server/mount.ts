/**
 * One socket path mounted on the endpoint (Phoenix's `socket "/socket", UserSocket, ...`):
 * its options, channel routes, origin policy, and the `connect` step shared by both transports.
 * @module
 */
import type { IncomingMessage } from "node:http";
import { Connection, type ConnectionHost } from "./connection";
import type { AcceptRequest, AcceptResult, MountInfo } from "./transport";
import type { Assigns, ChannelDef, ConnectInfo, ConnectResult } from "./types";
import { resolveVsn } from "./wire";

/** WebSocket options of one socket path. */
export interface WebSocketOptions {
  /** Largest inbound frame in bytes; bigger ones close the connection with 1009. Default: the socket's `maxFrameSize`. */
  maxFrameSize?: number;
  /** Close a connection that sent nothing for this long (ms), with code 1002. Default: the socket's `idleTimeoutMs`. */
  idleTimeoutMs?: number;
}

/** Long-poll options of one socket path. */
export interface LongPollOptions {
  /** How long a poll is held open when there is nothing to deliver (ms). Default 10000. */
  windowMs?: number;
  /** How long a session lives without a poll (ms). Default 1.5 × `windowMs`. */
  sessionTimeoutMs?: number;
  /** Largest POST body (bytes). Default 8,000,000. */
  maxBodyBytes?: number;
  /** How long a session token stays valid (ms). Default two weeks. */
  tokenMaxAgeMs?: number;
}

/** What `checkOrigin` accepts: off, a list of allowed origins, or a predicate. */
export type OriginCheck = boolean | readonly string[] | ((origin: string) => boolean);

/**
 * Options of one socket path.
 * @example
 * ```ts
 * endpoint.socket("/socket", {
 *   connect: (params) => (params.token === "secret" ? { user: "ann" } : false),
 *   id: (assigns) => `users_socket:${String(assigns.user)}`,
 *   channels: { "room:*": roomChannel },
 *   longpoll: { windowMs: 10_000 },
 * });
 * ```
 */
export interface SocketOptions<A extends Assigns = Assigns> {
  /**
   * Decides whether a client may connect: return its assigns, `{assigns, id}`, or `false` to refuse
   * (HTTP 403 on WebSocket, `{status: 403}` on long-poll). May be async. Default: accept with `{}`.
   * `params` are the query parameters (without `vsn`), nested keys decoded.
   */
  connect?(params: Record<string, unknown>, connectInfo: ConnectInfo): ConnectResult<A> | Promise<ConnectResult<A>>;
  /** The socket id from the assigns (connections sharing an id can be closed with a `disconnect` broadcast). */
  id?(assigns: A): string | null;
  /** Channel routes: `"room:*"` matches every topic starting with `room:`, other keys match exactly. */
  channels: Record<string, ChannelDef<A>>;
  /** WebSocket transport: `true` (default), `false`, or options. */
  websocket?: boolean | WebSocketOptions;
  /** Long-poll transport: `false` (default), `true`, or options. */
  longpoll?: boolean | LongPollOptions;
  /** Refuse handshakes whose Origin header is not allowed. A request without Origin always passes. Default: off. */
  checkOrigin?: OriginCheck;
  /** Largest inbound WebSocket frame in bytes. Default 8,000,000 (Bandit's default). */
  maxFrameSize?: number;
  /** Idle WebSocket timeout (ms). Default 60000. */
  idleTimeoutMs?: number;
  /** Channels one connection may have joined at once. Default 100 (Phoenix 1.8). */
  maxChannels?: number;
  /**
   * Phoenix 1.8 `auth_token: true`: read a token from the `base64url.bearer.phx.<base64>`
   * WebSocket sub-protocol or the `X-Phoenix-AuthToken` long-poll header into `connectInfo.authToken`.
   */
  authToken?: boolean;
}

/** The endpoint side a mount talks to. */
export type MountHost = Omit<ConnectionHost, "route" | "maxChannels" | "forget"> & {
  register(conn: Connection): void;
  forget(conn: Connection): void;
};

/** Default max frame size: Bandit's. */
export const DEFAULT_MAX_FRAME_SIZE = 8_000_000;
/** Default idle timeout of a WebSocket connection. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** Default per-connection channel limit (Phoenix 1.8). */
export const DEFAULT_MAX_CHANNELS = 100;
/** Default long-poll window. */
export const DEFAULT_LONGPOLL_WINDOW_MS = 10_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A mounted socket path. Implements the transports' {@link MountInfo} contract. */
export class Mount implements MountInfo {
  readonly path: string;
  readonly longpoll: false | ({ windowMs: number } & Omit<LongPollOptions, "windowMs">);
  readonly websocket: false | Required<WebSocketOptions>;
  readonly authTokenEnabled: boolean;
  readonly maxChannels: number;
  private readonly routes: Array<[string, boolean, ChannelDef]>;

  constructor(
    path: string,
    private readonly options: SocketOptions,
    private readonly host: MountHost,
  ) {
    this.path = normalizePath(path);
    const lp = options.longpoll ?? false;
    this.longpoll =
      lp === false ? false : { ...(lp === true ? {} : lp), windowMs: (lp === true ? undefined : lp.windowMs) ?? DEFAULT_LONGPOLL_WINDOW_MS };
    const ws = options.websocket ?? true;
    this.websocket =
      ws === false
        ? false
        : {
            maxFrameSize: (ws === true ? undefined : ws.maxFrameSize) ?? options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
            idleTimeoutMs: (ws === true ? undefined : ws.idleTimeoutMs) ?? options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
          };
    this.authTokenEnabled = options.authToken === true;
    this.maxChannels = options.maxChannels ?? DEFAULT_MAX_CHANNELS;
    this.routes = Object.entries(options.channels).map(([pattern, def]) =>
      pattern.endsWith("*") ? [pattern.slice(0, -1), true, def] : [pattern, false, def],
    );
  }

  /** The channel definition for `topic`, first matching route wins. */
  route(topic: string): ChannelDef | undefined {
    for (const [pattern, prefix, def] of this.routes) {
      if (prefix ? topic.startsWith(pattern) : topic === pattern) return def;
    }
    return undefined;
  }

  checkOrigin(origin: string | undefined): boolean {
    const check = this.options.checkOrigin ?? false;
    if (origin === undefined || check === false || check === true) return true;
    if (typeof check === "function") {
      try {
        return check(origin) === true;
      } catch {
        return false;
      }
    }
    return check.includes(origin);
  }

  async accept(req: AcceptRequest): Promise<AcceptResult> {
    const vsn = resolveVsn(req.vsn);
    if (!vsn) return { ok: false, reason: "unknown_vsn" };
    if (!this.checkOrigin(req.connectInfo.origin)) return { ok: false, reason: "origin" };
    let result: ConnectResult;
    try {
      result = this.options.connect ? await this.options.connect(req.params, req.connectInfo) : {};
    } catch (error) {
      this.host.reportError("connect threw; refusing the connection", { path: this.path, error });
      return { ok: false, reason: "refused" };
    }
    if (result === false || !isObject(result)) return { ok: false, reason: "refused" };
    let assigns: Assigns = result;
    let id: string | null = null;
    const keys = Object.keys(result);
    if (keys.length === 2 && "assigns" in result && "id" in result && isObject(result.assigns)) {
      assigns = result.assigns;
      id = typeof result.id === "string" ? result.id : null;
    } else if (this.options.id) {
      try {
        id = this.options.id(assigns) ?? null;
      } catch (error) {
        this.host.reportError("socket id() threw; refusing the connection", { path: this.path, error });
        return { ok: false, reason: "refused" };
      }
    }
    const connHost: ConnectionHost = {
      route: (topic) => this.route(topic),
      maxChannels: this.maxChannels,
      endpoint: this.host.endpoint,
      reportError: (m, meta) => this.host.reportError(m, meta),
      forget: (c) => this.host.forget(c),
    };
    const connection = new Connection(vsn, assigns, id, req.connectInfo, req.sink, connHost);
    this.host.register(connection);
    return { ok: true, connection };
  }
}

/** "/socket/" → "/socket"; "socket" → "/socket". */
export function normalizePath(path: string): string {
  let p = path.startsWith("/") ? path : `/${path}`;
  while (p.length > 1 && p.endsWith("/")) p = p.slice(0, -1);
  return p;
}

/** The ConnectInfo fields every transport fills the same way. */
export function baseConnectInfo(req: IncomingMessage, transport: ConnectInfo["transport"]): ConnectInfo {
  const origin = req.headers.origin;
  return {
    transport,
    headers: req.headers,
    ...(typeof origin === "string" ? { origin } : {}),
    ...(req.socket.remoteAddress !== undefined ? { remoteAddress: req.socket.remoteAddress } : {}),
  };
}
