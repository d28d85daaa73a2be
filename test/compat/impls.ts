/**
 * The two implementations every compat scenario runs against: the official phoenix.js 1.8.16
 * (the oracle) and ours. Scenarios reach into internals on purpose (that is what suites written
 * for phoenix.js do), so both are handled through deliberately loose types.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { createRequire } from "node:module";
import { Server, WebSocket as MockWebSocket } from "mock-socket";
import { afterEach, beforeEach, vi } from "vitest";
import * as Ours from "../../src/index";

/** The phoenix.js-shaped exports both implementations share. */
export interface Impl {
  Socket: new (endPoint: string, opts?: Record<string, unknown>) => any;
  Channel: new (topic: string, params: unknown, socket: any) => any;
  Presence: any;
  LongPoll: any;
  Serializer: any;
}

// phoenix ships CommonJS without type declarations.
const Phoenix = createRequire(import.meta.url)("phoenix") as Impl;

/** `describe.each(IMPLS)` runs a scenario once per implementation. */
export const IMPLS: Array<[string, Impl]> = [
  ["phoenix.js", Phoenix],
  ["ours", Ours as unknown as Impl],
];

export { MockWebSocket, Server };

let serial = 0;
const servers: Server[] = [];

/**
 * A mock-socket server on a fresh URL (mock-socket keys servers by URL, so each test gets its
 * own) and the socket endpoint that reaches it. Stopped after each test.
 */
export function mockEndpoint(): { server: Server; endPoint: string; url: string } {
  serial++;
  const endPoint = `ws://compat${serial}.test/socket`;
  const url = `${endPoint}/websocket`;
  const server = new Server(url);
  servers.push(server);
  return { server, endPoint, url };
}

/** Installs the per-file cleanup: fake timers off, mock servers stopped, globals restored. */
export function useCompatCleanup(): void {
  beforeEach(() => {
    ManualTransport.instances = [];
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    while (servers.length) servers.pop()!.stop();
  });
}

/** A transport that never opens by itself: the test drives it (onopen/onclose/onmessage). */
export class ManualTransport {
  static instances: ManualTransport[] = [];
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  url: string;
  protocols: unknown;
  readyState = 0;
  binaryType = "blob";
  timeout = 0;
  bufferedAmount = 0;
  sent: unknown[] = [];
  closed: Array<[number | undefined, string | undefined]> = [];
  onopen: ((e?: unknown) => void) | null = null;
  onclose: ((e?: unknown) => void) | null = null;
  onerror: ((e?: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  constructor(url: string, protocols?: unknown) {
    this.url = url;
    this.protocols = protocols;
    ManualTransport.instances.push(this);
  }
  send(data: unknown): void {
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.closed.push([code, reason]);
    this.readyState = 3;
  }
  /** The server accepted the connection. */
  open(): void {
    this.readyState = 1;
    this.onopen?.();
  }
  /** The connection dropped. */
  drop(code = 1006, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason, wasClean: false, type: "close" });
  }
  /** A frame from the server (V2 JSON array). */
  receive(joinRef: string | null, ref: string | null, topic: string, event: string, payload: unknown): void {
    this.onmessage?.({ data: JSON.stringify([joinRef, ref, topic, event, payload]) });
  }
  /** The decoded V2 JSON frames sent so far. */
  frames(): Array<[string | null, string | null, string, string, any]> {
    return this.sent.filter((s): s is string => typeof s === "string").map((s) => JSON.parse(s));
  }
}

/** The last ManualTransport created. */
export function lastTransport(): ManualTransport {
  const t = ManualTransport.instances[ManualTransport.instances.length - 1];
  if (!t) throw new Error("no transport created yet");
  return t;
}

/** A socket of `impl` on a ManualTransport, opened (onopen delivered) unless `open` is false. */
export function manualSocket(impl: Impl, opts: Record<string, unknown> = {}, open = true): { socket: any; t: ManualTransport } {
  const socket = new impl.Socket("ws://manual.test/socket", { transport: ManualTransport, ...opts });
  socket.connect();
  const t = lastTransport();
  if (open) t.open();
  return { socket, t };
}

/** Joins `channel` on an open ManualTransport and replies ok to the join. */
export function joinOk(channel: any, t: ManualTransport, response: unknown = {}): any {
  const push = channel.join();
  const join = t.frames().filter((f) => f[2] === channel.topic && f[3] === "phx_join").pop();
  if (!join) throw new Error(`no phx_join sent for ${channel.topic}`);
  t.receive(join[0], join[1], channel.topic, "phx_reply", { status: "ok", response });
  return push;
}

/**
 * A ManualTransport that closes like a browser WebSocket: `close()` moves to CLOSING at once,
 * and the close event (CLOSED, wasClean) follows on a later macrotask.
 */
export class BrowserLikeTransport extends ManualTransport {
  override close(code?: number, reason?: string): void {
    this.closed.push([code, reason]);
    this.readyState = 2;
    setTimeout(() => {
      this.readyState = 3;
      this.onclose?.({ code: code ?? 1005, reason: reason ?? "", wasClean: true, type: "close" });
    }, 0);
  }
}
