/**
 * A fault-injecting TCP proxy for chaos tests: it sits on 127.0.0.1 between a client and a
 * target port and can drop connections, black-hole them (keep both sockets open and silently
 * discard everything, no FIN), delay and throttle traffic, and cut a connection mid-frame.
 *
 * Faults can be applied to one connection or to all of them; global settings (delay, throttle,
 * black hole) also apply to connections accepted later.
 *
 * @example
 * ```ts
 * const proxy = await TcpProxy.start({ targetPort: serverPort })
 * const socket = new Socket(`ws://127.0.0.1:${proxy.port}/socket`)
 * proxy.blackhole()          // every open connection goes silent, no FIN
 * proxy.dropAll()            // destroy every connection, both sides
 * await proxy.close()
 * ```
 */
import net from "node:net";

/** Which way traffic flows: `up` is client → target, `down` is target → client. */
export type Direction = "up" | "down";
const BOTH: readonly Direction[] = ["up", "down"];

export interface ProxyOptions {
  targetPort: number;
  targetHost?: string;
  /** Port to listen on; 0 (default) picks an ephemeral one. */
  port?: number;
}

interface Queued {
  /** Arrival time plus the delay in force then: the earliest it may leave. */
  at: number;
  chunk: Buffer | null;
  /** What to do after writing `chunk`: nothing, end the destination (FIN), or destroy the whole connection. */
  then: "none" | "end" | "destroy";
}

/**
 * One direction of one proxied connection: an ordered queue feeding the destination.
 * Delay is stamped on each chunk when it arrives; throttling is applied when chunks leave, so
 * lifting a throttle drains the backlog at once, as a link whose bandwidth comes back would.
 */
class Pipe {
  private readonly queue: Queued[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When a throttled link is free to send again. */
  private linkFreeAt = 0;
  bytes = 0;
  /** Set by cut(): forward this many bytes of the next chunk, then destroy the connection. */
  cutAfter: number | undefined;

  constructor(
    private readonly conn: ProxyConnection,
    private readonly dest: net.Socket,
  ) {}

  push(chunk: Buffer): void {
    if (this.conn.isBlackholed) return;
    if (this.cutAfter !== undefined) {
      const n = Math.min(this.cutAfter, chunk.length);
      this.cutAfter = undefined;
      this.enqueue(n > 0 ? chunk.subarray(0, n) : null, "destroy");
      return;
    }
    this.enqueue(chunk, "none");
  }

  /** The source half-closed or closed: pass that on in order, unless black-holed (a partition carries no FIN). */
  finish(kind: "end" | "destroy"): void {
    if (this.conn.isBlackholed) return;
    this.enqueue(null, kind);
  }

  private enqueue(chunk: Buffer | null, then: Queued["then"]): void {
    this.queue.push({ at: Date.now() + this.conn.delayMs, chunk, then });
    this.pump();
  }

  /** Settings changed (throttle lifted, delay changed): re-evaluate now instead of at the old wake-up time. */
  kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.conn.throttleBps === 0) this.linkFreeAt = 0;
    this.pump();
  }

  private wake(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, ms);
  }

  private pump(): void {
    if (this.timer) return;
    while (this.queue.length > 0) {
      if (this.conn.closed) return;
      const head = this.queue[0] as Queued;
      const now = Date.now();
      if (head.at > now) return this.wake(head.at - now);
      // Black-holing after a chunk was queued swallows it too: nothing gets through a partition.
      if (this.conn.isBlackholed) {
        this.queue.shift();
        continue;
      }
      const bps = this.conn.throttleBps;
      if (head.chunk && head.chunk.length > 0) {
        let piece = head.chunk;
        if (bps > 0) {
          if (this.linkFreeAt > now) return this.wake(this.linkFreeAt - now);
          // Slices of ~50 ms of bandwidth keep a throttled stream smooth instead of bursty.
          const slice = Math.max(1, Math.floor(bps / 20));
          if (piece.length > slice) {
            head.chunk = piece.subarray(slice);
            piece = piece.subarray(0, slice);
          } else {
            head.chunk = null;
          }
          this.linkFreeAt = now + (piece.length * 1000) / bps;
        } else {
          head.chunk = null;
        }
        this.bytes += piece.length;
        this.dest.write(piece);
        if (head.chunk !== null) continue;
      }
      this.queue.shift();
      if (head.then === "end") this.dest.end();
      if (head.then === "destroy") {
        // Let the partial chunk reach the kernel before tearing down, so the peer really sees half a frame.
        this.dest.end(() => this.conn.drop());
        setTimeout(() => this.conn.drop(), 50).unref();
        return;
      }
    }
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

/** One client connection and its upstream connection to the target. */
export class ProxyConnection {
  readonly id: number;
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  isBlackholed = false;
  delayMs = 0;
  throttleBps = 0;
  closed = false;
  private readonly pipes: Record<Direction, Pipe>;
  private readonly onClosed: (c: ProxyConnection) => void;

  constructor(id: number, client: net.Socket, upstream: net.Socket, defaults: ProxySettings, onClosed: (c: ProxyConnection) => void) {
    this.id = id;
    this.client = client;
    this.upstream = upstream;
    this.onClosed = onClosed;
    this.isBlackholed = defaults.blackholed;
    this.delayMs = defaults.delayMs;
    this.throttleBps = defaults.throttleBps;
    this.pipes = { up: new Pipe(this, upstream), down: new Pipe(this, client) };
    client.on("data", (c: Buffer) => this.pipes.up.push(c));
    upstream.on("data", (c: Buffer) => this.pipes.down.push(c));
    client.on("end", () => this.pipes.up.finish("end"));
    upstream.on("end", () => this.pipes.down.finish("end"));
    // A side that closes while black-holed is not reported to the other side: it just stays open, as in a partition.
    client.on("close", () => this.sideClosed(this.pipes.up));
    upstream.on("close", () => this.sideClosed(this.pipes.down));
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  }

  private sideClosed(pipe: Pipe): void {
    if (this.closed) return;
    if (this.client.destroyed && this.upstream.destroyed) return this.drop();
    pipe.finish("destroy");
  }

  /** Bytes forwarded so far in each direction. */
  get bytes(): Record<Direction, number> {
    return { up: this.pipes.up.bytes, down: this.pipes.down.bytes };
  }

  /** Destroys both sides at once. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    this.pipes.up.clear();
    this.pipes.down.clear();
    this.client.destroy();
    this.upstream.destroy();
    this.onClosed(this);
  }

  /**
   * Keeps both sockets open and silently discards all traffic both ways (no FIN, no RST).
   * Lifting it resumes forwarding, but the bytes discarded meanwhile are gone, so a framed
   * stream (WebSocket) is corrupt from then on: use it to simulate a partition, not a pause.
   */
  blackhole(on = true): void {
    this.isBlackholed = on;
    this.kick();
  }

  /** Adds `ms` of latency to each direction (applies to bytes that arrive from now on). */
  delay(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** @internal Re-evaluates both queues after a settings change. */
  kick(): void {
    this.pipes.up.kick();
    this.pipes.down.kick();
  }

  /** Limits each direction to `bytesPerSecond` (0 removes the limit). */
  throttle(bytesPerSecond: number): void {
    this.throttleBps = Math.max(0, bytesPerSecond);
    this.kick();
  }

  /** Forwards only the first `n` bytes of the next chunk in `direction` (default: both), then destroys the connection. */
  cut(n: number, direction: Direction | "both" = "both"): void {
    for (const d of direction === "both" ? BOTH : [direction]) this.pipes[d].cutAfter = Math.max(0, n);
  }
}

interface ProxySettings {
  blackholed: boolean;
  delayMs: number;
  throttleBps: number;
  refusing: boolean;
}

/** The proxy server. Start it with {@link TcpProxy.start}; always {@link TcpProxy.close} it. */
export class TcpProxy {
  readonly port: number;
  /** Open connections, by id. */
  readonly connections = new Map<number, ProxyConnection>();
  /** How many connections were accepted in total. */
  accepted = 0;
  private readonly settings: ProxySettings = { blackholed: false, delayMs: 0, throttleBps: 0, refusing: false };
  private readonly server: net.Server;
  private readonly target: { host: string; port: number };
  private readonly listeners = new Set<(c: ProxyConnection) => void>();

  private constructor(server: net.Server, port: number, target: { host: string; port: number }) {
    this.server = server;
    this.port = port;
    this.target = target;
    server.on("connection", (client) => this.accept(client));
  }

  /** Starts a proxy on 127.0.0.1 in front of `targetHost:targetPort`. */
  static async start(options: ProxyOptions): Promise<TcpProxy> {
    // allowHalfOpen: a FIN from one side is ours to pass on (or swallow, when black-holed).
    const server = net.createServer({ allowHalfOpen: true, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const address = server.address() as net.AddressInfo;
    return new TcpProxy(server, address.port, { host: options.targetHost ?? "127.0.0.1", port: options.targetPort });
  }

  /** Calls `cb` for every new connection (e.g. to fault only the next one). Returns an unsubscribe function. */
  onConnection(cb: (c: ProxyConnection) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  private accept(client: net.Socket): void {
    if (this.settings.refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: this.target.host, port: this.target.port, allowHalfOpen: true, noDelay: true });
    client.setNoDelay(true);
    const id = ++this.accepted;
    const conn = new ProxyConnection(id, client, upstream, this.settings, (c) => this.connections.delete(c.id));
    this.connections.set(id, conn);
    for (const cb of this.listeners) cb(conn);
  }

  /** The open connections, oldest first. */
  list(): ProxyConnection[] {
    return [...this.connections.values()];
  }

  /** Destroys every open connection, both sides. */
  dropAll(): void {
    for (const c of this.list()) c.drop();
  }

  /** Black-holes every open connection and every new one (until `blackhole(false)`). */
  blackhole(on = true): void {
    this.settings.blackholed = on;
    for (const c of this.list()) c.blackhole(on);
  }

  /** Adds latency to every open and future connection. */
  delay(ms: number): void {
    this.settings.delayMs = Math.max(0, ms);
    for (const c of this.list()) c.delay(ms);
  }

  /** Throttles every open and future connection (0 removes the limit). */
  throttle(bytesPerSecond: number): void {
    this.settings.throttleBps = Math.max(0, bytesPerSecond);
    for (const c of this.list()) c.throttle(bytesPerSecond);
  }

  /** Arms a mid-frame cut on every open connection. */
  cutAll(n: number, direction: Direction | "both" = "both"): void {
    for (const c of this.list()) c.cut(n, direction);
  }

  /** While on, new connections are accepted and destroyed at once (the target looks down). */
  refuse(on = true): void {
    this.settings.refusing = on;
  }

  /** Clears every global fault (existing connections keep theirs unless `includeOpen`). */
  heal(includeOpen = true): void {
    this.settings.blackholed = false;
    this.settings.delayMs = 0;
    this.settings.throttleBps = 0;
    this.settings.refusing = false;
    if (includeOpen) {
      for (const c of this.list()) {
        c.blackhole(false);
        c.delay(0);
        c.throttle(0);
      }
    }
  }

  /** Stops listening and destroys every connection and timer. */
  async close(): Promise<void> {
    this.listeners.clear();
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
