/**
 * Peer check (issue 3 item 5): the same cases against the reference server's example app, run
 * once with the official phoenix.js client and once with ours, through the phoenix.js API both
 * share. Real WebSockets on 127.0.0.1.
 */
import { afterEach, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { Socket as OurSocket } from "../../src/node";
import { createExampleApp, type Endpoint } from "../../src/server/index";

/** The slice of the phoenix.js API the cases use; both clients provide it. */
interface PushLike {
  receive(status: string, cb: (response: unknown) => void): PushLike;
}
interface ChannelLike {
  join(timeout?: number): PushLike;
  leave(timeout?: number): PushLike;
  push(event: string, payload: unknown, timeout?: number): PushLike;
  on(event: string, cb: (payload: unknown) => void): number;
  onError(cb: (reason?: unknown) => void): void;
  state: string;
}
interface SocketLike {
  connect(): void;
  disconnect(cb?: () => void, code?: number): void;
  channel(topic: string, params?: object): ChannelLike;
  onOpen(cb: () => void): unknown;
  onMessage(cb: (msg: { topic: string; event: string; ref: string | null }) => void): unknown;
  isConnected(): boolean;
}
type Make = (url: string, opts: Record<string, unknown>) => SocketLike;

// phoenix ships no type declarations: import it untyped and describe the part we use.
const phoenixModule = "phoenix";
const { Socket: PhoenixSocket } = (await import(/* @vite-ignore */ phoenixModule)) as {
  Socket: new (url: string, opts: Record<string, unknown>) => SocketLike;
};

const clients: Array<[string, Make]> = [
  ["official phoenix.js", (url, opts) => new PhoenixSocket(url, { transport: WebSocket, ...opts })],
  ["phx-channels", (url, opts) => new OurSocket(url, opts) as unknown as SocketLike],
];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startApp(port = 0): Promise<[Endpoint, number]> {
  const app = createExampleApp({ logger: false });
  const bound = await app.listen({ port });
  cleanups.push(() => app.close());
  return [app, bound];
}

const FAST = { reconnectAfterMs: () => 50, rejoinAfterMs: () => 50, timeout: 2000 };

function until(cond: () => boolean, ms = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + ms;
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() > end) return reject(new Error("condition not met in time"));
      setTimeout(tick, 10);
    };
    tick();
  });
}

function reply(push: PushLike): Promise<[string, unknown]> {
  return new Promise((resolve) => {
    push.receive("ok", (r) => resolve(["ok", r]));
    push.receive("error", (r) => resolve(["error", r]));
    push.receive("timeout", () => resolve(["timeout", undefined]));
  });
}

function bytes(v: unknown): number[] {
  return [...new Uint8Array(v as ArrayBuffer)];
}

describe.each(clients)("peer check with %s", (_name, make) => {
  function socket(port: number, opts: Record<string, unknown> = {}): SocketLike {
    const s = make(`ws://127.0.0.1:${port}/socket`, { ...FAST, ...opts });
    cleanups.push(() => s.disconnect());
    s.connect();
    return s;
  }

  test("connects", async () => {
    const [, port] = await startApp();
    const s = socket(port);
    let opened = false;
    s.onOpen(() => (opened = true));
    await until(() => opened && s.isConnected());
  });

  test("join: ok, refused by the channel, unmatched topic", async () => {
    const [, port] = await startApp();
    const s = socket(port);
    expect(await reply(s.channel("room:lobby", { hello: "world" }).join())).toEqual(["ok", {}]);
    expect(await reply(s.channel("room:nope", { reject: true }).join())).toEqual(["error", { reason: "rejected" }]);
    expect(await reply(s.channel("nomatch:abc").join())).toEqual(["error", { reason: "unmatched topic" }]);
  });

  test("push: echo, error reply, and a timeout when the channel does not answer", async () => {
    const [, port] = await startApp();
    const s = socket(port);
    const ch = s.channel("room:push");
    await reply(ch.join());
    expect(await reply(ch.push("echo", { s: "héllo ☃", n: [1, 2, null] }))).toEqual(["ok", { n: [1, 2, null], s: "héllo ☃" }]);
    expect(await reply(ch.push("fail", {}))).toEqual(["error", { reason: "failed" }]);
    expect(await reply(ch.push("noreply", {}, 150))).toEqual(["timeout", undefined]);
  });

  test("a broadcast is seen by a second client", async () => {
    const [, port] = await startApp();
    const [a, b] = [socket(port), socket(port)];
    const [ca, cb] = [a.channel("room:bc"), b.channel("room:bc")];
    const seen: unknown[] = [];
    ca.on("broadcasted", (p) => seen.push(["a", p]));
    cb.on("broadcasted", (p) => seen.push(["b", p]));
    await reply(ca.join());
    await reply(cb.join());
    ca.push("broadcast", { x: 42 });
    await until(() => seen.length === 2);
    expect(seen).toContainEqual(["b", { x: 42 }]);
    expect(seen).toContainEqual(["a", { x: 42 }]);
  });

  test("leave: the server acknowledges and broadcasts stop arriving", async () => {
    const [app, port] = await startApp();
    const s = socket(port);
    const ch = s.channel("room:leave");
    const got: unknown[] = [];
    ch.on("news", (p) => got.push(p));
    await reply(ch.join());
    expect(await reply(ch.leave())).toEqual(["ok", {}]);
    await until(() => ch.state === "closed");
    app.broadcast("room:leave", "news", { late: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toEqual([]);
    expect(app.subscribers("room:leave")).toBe(0);
  });

  test("a channel crash is reported, then the client rejoins by itself", async () => {
    const [, port] = await startApp();
    const s = socket(port);
    const ch = s.channel("room:crash");
    let joins = 0;
    let errors = 0;
    ch.onError(() => errors++);
    ch.join().receive("ok", () => joins++);
    await until(() => joins === 1);
    ch.push("crash", {});
    await until(() => errors >= 1 && joins >= 2);
    expect(await reply(ch.push("echo", { after: "crash" }))).toEqual(["ok", { after: "crash" }]);
  });

  test("the server stops and restarts on the same port: both clients reconnect and rejoin by themselves", async () => {
    const [app, port] = await startApp();
    const [a, b] = [socket(port), socket(port)];
    const [ca, cb] = [a.channel("room:restart"), b.channel("room:restart")];
    let joinsA = 0;
    let joinsB = 0;
    ca.join().receive("ok", () => joinsA++);
    cb.join().receive("ok", () => joinsB++);
    await until(() => joinsA === 1 && joinsB === 1);
    await app.close();
    await until(() => !a.isConnected() && !b.isConnected());
    await startApp(port);
    await until(() => joinsA === 2 && joinsB === 2, 8000);
    expect(await reply(ca.push("echo", { back: "a" }))).toEqual(["ok", { back: "a" }]);
    expect(await reply(cb.push("echo", { back: "b" }))).toEqual(["ok", { back: "b" }]);
  }, 15_000);

  test("heartbeats at a short interval are answered and keep the connection open", async () => {
    const [, port] = await startApp();
    const s = socket(port, { heartbeatIntervalMs: 50 });
    let beats = 0;
    s.onMessage((m) => {
      if (m.topic === "phoenix" && m.event === "phx_reply") beats++;
    });
    await until(() => beats >= 3);
    expect(s.isConnected()).toBe(true);
  });

  test("binary: a binary push gets a binary reply, and a server binary push arrives as bytes", async () => {
    const [, port] = await startApp();
    const s = socket(port);
    const ch = s.channel("room:bin");
    const pushed: unknown[] = [];
    ch.on("binary_push", (p) => pushed.push(p));
    await reply(ch.join());
    const [status, response] = await reply(ch.push("binary", new Uint8Array([0, 1, 2, 250]).buffer));
    expect(status).toBe("ok");
    expect(bytes(response)).toEqual([0, 1, 2, 250]);
    expect(await reply(ch.push("binary_size", new Uint8Array([9, 9, 9]).buffer))).toEqual(["ok", { size: 3 }]);
    expect(await reply(ch.push("push_binary", {}))).toEqual(["ok", {}]);
    await until(() => pushed.length === 1);
    expect(bytes(pushed[0])).toEqual([1, 2, 3, 4, 255]);
  });
});
