/**
 * `phx-channels/server`: a reference Phoenix Channels server for Node — endpoint, sockets,
 * channels, WebSocket and long-poll transports — that answers like real Phoenix.
 * @example
 * ```ts
 * import { Endpoint, joined, ok, noreply } from "phx-channels/server";
 *
 * const endpoint = new Endpoint();
 * endpoint.socket("/socket", {
 *   connect: (params) => (params.token ? { user: params.token } : false),
 *   channels: {
 *     "room:*": {
 *       join: () => joined(),
 *       handleIn(event, payload, socket) {
 *         if (event === "shout") { socket.broadcast("shout", payload); return noreply(); }
 *         return ok(payload);
 *       },
 *     },
 *   },
 * });
 * const port = await endpoint.listen({ port: 4000 });
 * ```
 * @module
 */
import { createExampleApp, type ExampleAppOptions } from "./example-app";
import type { Endpoint } from "./endpoint";

export { Endpoint } from "./endpoint";
export type { EndpointOptions, ListenOptions } from "./endpoint";
export type { SocketOptions, WebSocketOptions, LongPollOptions, OriginCheck } from "./mount";
export { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_LONGPOLL_WINDOW_MS, DEFAULT_MAX_CHANNELS, DEFAULT_MAX_FRAME_SIZE } from "./mount";
export { CLOSE_CODES } from "./websocket";
export { createExampleApp, roomChannel, presenceChannel, slowChannel } from "./example-app";
export { Presence } from "./presence";
export type {
  PresenceMeta,
  PresenceState,
  PresenceDiff,
  PresenceEntry,
  PresenceOptions,
  PresenceResult,
  TrackedMeta,
  PresenceFailure,
  PresenceEndpoint,
} from "./presence";
export type { ExampleAppOptions } from "./example-app";
export { joined, refuse, ok, error, noreply, stop } from "./types";
export type {
  Assigns,
  ChannelDef,
  ChannelSocket,
  ConnectInfo,
  ConnectResult,
  EndpointLike,
  HandleInResult,
  JoinResult,
  Logger,
  MaybePromise,
  NoReplyResult,
  Payload,
  ReplyResult,
  StopResult,
} from "./types";

/** Options of {@link serve}. */
export interface ServeOptions extends Omit<ExampleAppOptions, "static"> {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Serve this directory (e.g. `demo/`) at `/`. */
  demoDir?: string;
}

/** A running example app. */
export interface RunningServer {
  endpoint: Endpoint;
  host: string;
  port: number;
  /** `http://host:port` */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the example app (the recording app's sockets and channels), optionally serving a
 * static directory at `/`. Used by `phx-channels serve`.
 * @example
 * ```ts
 * const server = await serve({ port: 0, demoDir: "demo" });
 * console.log(`listening on ${server.url}`);
 * await server.close();
 * ```
 */
export async function serve(options: ServeOptions = {}): Promise<RunningServer> {
  const { host = "127.0.0.1", port = 4000, demoDir, ...appOptions } = options;
  const endpoint = createExampleApp({ ...appOptions, ...(demoDir !== undefined ? { static: { dir: demoDir } } : {}) });
  const bound = await endpoint.listen({ host, port });
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return { endpoint, host, port: bound, url: `http://${shownHost}:${bound}`, close: () => endpoint.close() };
}
