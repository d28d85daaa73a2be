/**
 * The server-internal contract between the endpoint core (WebSocket transport, channels) and the
 * long-poll transport. Both transports hand raw frames to a {@link ServerConnection} and get frames
 * back through a {@link TransportSink}, so one channel implementation serves both.
 * This file is a stable contract: members may be added, never changed or removed.
 * @module
 */
import type { IncomingHttpHeaders } from "node:http";

/** What the transport gives the connection to talk back to the client. */
export interface TransportSink {
  /** One encoded frame (text or binary). */
  send(frame: string | Uint8Array): void;
  /** End the connection (long-poll: end the session). */
  close(code: number, reason: string): void;
}

/** What `connect` learns about the transport-level request. */
export interface ConnectInfo {
  transport: "websocket" | "longpoll";
  /** Decoded bearer token (ws sub-protocol / X-Phoenix-AuthToken), only on sockets with `authToken: true`. */
  authToken?: string;
  origin?: string;
  headers: IncomingHttpHeaders;
  remoteAddress?: string;
}

/** A transport asking the mount to open a connection. */
export interface AcceptRequest {
  transport: "websocket" | "longpoll";
  /** null when the query has no vsn (=> V1). */
  vsn: string | null;
  /** The query params minus vsn (nested a[b]=c decoded). */
  params: Record<string, unknown>;
  connectInfo: ConnectInfo;
  sink: TransportSink;
}

/** The mount's answer: a live connection, or why not. */
export type AcceptResult =
  | { ok: true; connection: ServerConnection }
  | { ok: false; reason: "refused" | "unknown_vsn" | "origin" };

/** One accepted client connection, whatever carries it. */
export interface ServerConnection {
  /** "2.0.0" or "1.0.0". */
  readonly vsn: string;
  /** One raw inbound frame. Returns false when it could not be decoded (the WS transport then closes 1011). */
  receive(raw: string | Uint8Array): boolean;
  /** The client is gone (socket closed, long-poll session expired): terminate channels, untrack presence. */
  terminate(reason: string): void;
}

/** What the endpoint knows about one mounted socket path (a "mount"). */
export interface MountInfo {
  /** e.g. "/socket" */
  readonly path: string;
  readonly longpoll: false | { windowMs: number; sessionTimeoutMs?: number };
  readonly websocket: boolean | object;
  checkOrigin(origin: string | undefined): boolean;
  accept(req: AcceptRequest): Promise<AcceptResult>;
  /** Phoenix 1.8 `auth_token: true`. */
  readonly authTokenEnabled: boolean;
}
