/**
 * LongPoll end to end with real HTTP on 127.0.0.1 (issue 4 item 4): our client on our `LongPoll`,
 * phoenix.js on our `LongPoll`, phoenix.js on its own; the WebSocket → LongPoll fallback when the
 * server refuses, destroys or never answers upgrades; 1,000 broadcasts over polls; and a server
 * restarted on the same port mid-session (410 for the old token, reconnect, rejoin). Also: the
 * auth token over LongPoll, 250 pushes in one tick batched 100/100/50, and binary payloads.
 */
import { createServer, request, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { FALLBACK_STORAGE_KEY } from "../../src/protocol";
import { LongPoll as OurLongPoll, Socket as OurSocket } from "../../src/node";
import { LongPollError, type LongPollFetch, type LongPollRequestInit } from "../../src/transports/longpoll";
import { Endpoint } from "../../src/server/endpoint";
import { createExampleApp, roomChannel } from "../../src/server/example-app";

// ------------------------------------------------------------------ the slice of the API both clients share

interface PushLike {
  receive(status: string, cb: (response: unknown) => void): PushLike;
}
interface ChannelLike {
  join(timeout?: number): PushLike;
  leave(timeout?: number): PushLike;
  push(event: string, payload: unknown, timeout?: number): PushLike;
  on(event: string, cb: (payload: unknown) => void): number;
  state: string;
}
interface SocketLike {
  conn: unknown;
  connect(): void;
  disconnect(cb?: () => void, code?: number): void;
  channel(topic: string, params?: object): ChannelLike;
  onOpen(cb: () => void): unknown;
}
type Ctor = new (...args: never[]) => unknown;

// phoenix ships no type declarations: import it untyped and describe the part we use.
const phoenixModule = "phoenix";
const Phoenix = (await import(/* @vite-ignore */ phoenixModule)) as {
  Socket: new (url: string, opts: Record<string, unknown>) => SocketLike;
  LongPoll: Ctor;
};

// ------------------------------------------------------------------ fixtures

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  OurLongPoll.fetch = null;
});

const FAST = { timeout: 3000, longpollerTimeout: 5000, reconnectAfterMs: () => 50, rejoinAfterMs: () => 50 };

/** An endpoint serving `room:*` (the example app's channel) over long-poll only, with a short poll window. */
async function startRooms(port = 0, windowMs = 300): Promise<{ endpoint: Endpoint; port: number }> {
  const endpoint = new Endpoint({ logger: false });
  // A roomy session timeout: on a loaded machine a poll can follow the previous answer by
  // hundreds of ms, and an expired session (410) would add a reconnect the tests do not expect.
  endpoint.socket("/socket", { channels: { "room:*": roomChannel }, websocket: false, longpoll: { windowMs, sessionTimeoutMs: 5000 } });
  const bound = await endpoint.listen({ port });
  cleanups.push(() => endpoint.close());
  return { endpoint, port: bound };
}

function track<S extends SocketLike>(socket: S): S {
  cleanups.push(() => socket.disconnect());
  socket.connect();
  return socket;
}

/**
 * The push's outcome, bounded: a join in flight when its transport fails gets neither a reply
 * nor a timeout until the rejoin (phoenix.js semantics); fail with a clear message, not a hang.
 */
function reply(push: PushLike, ms = 8000): Promise<[string, unknown]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return new Promise<[string, unknown]>((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
    push.receive("ok", (r) => resolve(["ok", r]));
    push.receive("error", (r) => resolve(["error", r]));
    push.receive("timeout", () => resolve(["timeout", undefined]));
  }).finally(() => clearTimeout(timer));
}

function until(cond: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  return new Promise((resolve, reject) => {
    const end = Date.now() + ms;
    const tick = (): void => {
      if (cond()) resolve();
      else if (Date.now() > end) reject(new Error(`${what}: not met within ${ms} ms`));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ join / push / broadcast / leave, three clients

const clients: Array<[string, (url: string) => SocketLike, Ctor]> = [
  [
    "phx-channels with its LongPoll",
    (url) => new OurSocket(url, { ...FAST, transport: OurLongPoll }) as unknown as SocketLike,
    OurLongPoll as unknown as Ctor,
  ],
  [
    "phoenix.js with phx-channels' LongPoll",
    (url) => new Phoenix.Socket(url, { ...FAST, transport: OurLongPoll }),
    OurLongPoll as unknown as Ctor,
  ],
  [
    "phoenix.js with its own LongPoll",
    (url) => new Phoenix.Socket(url, { ...FAST, transport: Phoenix.LongPoll }),
    Phoenix.LongPoll,
  ],
];

describe.each(clients)("%s against the example app's /short_socket (long-poll only)", (_name, make, Transport) => {
  it("joins, pushes and gets replies, sees a broadcast a second client sends, and leaves", async () => {
    const app = createExampleApp({ logger: false });
    const port = await app.listen({ port: 0 });
    cleanups.push(() => app.close());
    const url = `ws://127.0.0.1:${port}/short_socket`;
    const [a, b] = [track(make(url)), track(make(url))];
    const [ca, cb] = [a.channel("room:lp"), b.channel("room:lp")];
    const seen: Array<[string, unknown]> = [];
    ca.on("broadcasted", (p) => seen.push(["a", p]));
    cb.on("broadcasted", (p) => seen.push(["b", p]));

    expect(await reply(ca.join())).toEqual(["ok", {}]);
    expect(await reply(cb.join())).toEqual(["ok", {}]);
    // Really long polling: both connections are instances of the transport under test.
    expect(a.conn).toBeInstanceOf(Transport);
    expect(b.conn).toBeInstanceOf(Transport);

    expect(await reply(ca.push("echo", { s: "héllo ☃", n: [1, null] }))).toEqual(["ok", { s: "héllo ☃", n: [1, null] }]);
    expect(await reply(ca.push("fail", {}))).toEqual(["error", { reason: "failed" }]);

    cb.push("broadcast", { from: "b" });
    await until(() => seen.length === 2, 3000, "the broadcast reaches both clients");
    expect(seen).toContainEqual(["a", { from: "b" }]);
    expect(seen).toContainEqual(["b", { from: "b" }]);

    // Both clients answer leave() "ok" locally at once (phoenix.js does): wait for the server too.
    expect(await reply(ca.leave())).toEqual(["ok", {}]);
    expect(ca.state).toBe("closed");
    await until(() => app.subscribers("room:lp") === 1, 3000, "the server drops the left channel");
    // After the leave only b hears broadcasts.
    cb.push("broadcast", { n: 2 });
    await until(() => seen.length === 3, 3000, "the second broadcast reaches b");
    await delay(50);
    expect(seen.slice(2)).toEqual([["b", { n: 2 }]]);
  });
});

const authClients: Array<[string, (url: string, token: string) => SocketLike]> = [
  ["phx-channels with its LongPoll", (url, authToken) => new OurSocket(url, { ...FAST, transport: OurLongPoll, authToken }) as unknown as SocketLike],
  ["phoenix.js with phx-channels' LongPoll", (url, authToken) => new Phoenix.Socket(url, { ...FAST, transport: OurLongPoll, authToken })],
  ["phoenix.js with its own LongPoll", (url, authToken) => new Phoenix.Socket(url, { ...FAST, transport: Phoenix.LongPoll, authToken })],
];

describe.each(authClients)("%s with an auth token (the example app's /auth_socket)", (_name, make) => {
  it("the token reaches the server's connect over LongPoll; a wrong one is refused and nothing joins", async () => {
    const app = createExampleApp({ logger: false });
    const port = await app.listen({ port: 0 });
    cleanups.push(() => app.close());
    const url = `ws://127.0.0.1:${port}/auth_socket`;

    const good = track(make(url, "secret"));
    const channel = good.channel("room:auth");
    expect(await reply(channel.join())).toEqual(["ok", {}]);
    expect(await reply(channel.push("whoami", {}))).toEqual(["ok", { auth_via: "auth_token", user: "authed" }]);

    const bad = make(url, "wrong");
    const errors: unknown[] = [];
    (bad as unknown as { onError(cb: (e: unknown) => void): void }).onError((e) => errors.push(e));
    track(bad);
    const refused = bad.channel("room:auth");
    refused.join();
    await until(() => errors.length > 0, 3000, "the refusal is reported");
    if (bad instanceof OurSocket) expect(errors[0]).toMatchObject({ name: "LongPollError", reason: "forbidden", status: 403 });
    await delay(100);
    expect(refused.state).not.toBe("joined");
    expect(app.subscribers("room:auth")).toBe(1);
  });
});

// ------------------------------------------------------------------ fallback

const FALLBACK_MS = 300;
/** Time allowed beyond the fallback window for the switch and the first long-poll GET. */
const MARGIN_MS = 1000;

type Refusal = "answered 404 (websocket: false)" | "destroyed" | "never answered" | "accepted, then silent (no ping answer)";

/** An http server carrying a long-poll-only endpoint, whose upgrade requests get `refusal`. */
async function startRefusingServer(refusal: Refusal): Promise<{ port: number; upgrades: () => number }> {
  const endpoint = new Endpoint({ logger: false });
  endpoint.socket("/socket", { channels: { "room:*": roomChannel }, websocket: false, longpoll: { windowMs: 300, sessionTimeoutMs: 5000 } });
  let upgrades = 0;
  if (refusal === "answered 404 (websocket: false)") {
    const port = await endpoint.listen({ port: 0 });
    cleanups.push(() => endpoint.close());
    // Count upgrades with a listener that leaves the answer to the endpoint (it answers 404 when it is the only one).
    return { port, upgrades: () => upgrades };
  }
  const server: Server = createServer();
  const held = new Set<Duplex>();
  const silent = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket: Duplex, head: Buffer) => {
    upgrades++;
    if (refusal === "destroyed") socket.destroy();
    else if (refusal === "never answered") held.add(socket); // a proxy that swallows the upgrade: no answer, no close
    else silent.handleUpgrade(req, socket, head, () => held.add(socket)); // open, but nothing ever answers
  });
  // With another upgrade listener present the endpoint leaves upgrades alone.
  endpoint.attach(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(async () => {
    await endpoint.close();
    for (const s of held) s.destroy();
    silent.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return { port: address.port, upgrades: () => upgrades };
}

describe("fallback to LongPoll when WebSocket upgrades are refused (longPollFallbackMs: 300)", () => {
  it.each<[Refusal]>([["answered 404 (websocket: false)"], ["destroyed"], ["never answered"], ["accepted, then silent (no ping answer)"]])(
    "upgrade %s: the client is on LongPoll within the window plus a margin, joins and pushes",
    async (refusal) => {
      const { port, upgrades } = await startRefusingServer(refusal);
      // Our Node entry defaults to `ws` as the WebSocket transport.
      const socket = new OurSocket(`ws://127.0.0.1:${port}/socket`, { ...FAST, longPollFallbackMs: FALLBACK_MS });
      let openedAt = -1;
      const opens: string[] = [];
      socket.onOpen(() => {
        const onLongPoll = socket.conn instanceof OurLongPoll;
        opens.push(onLongPoll ? "LongPoll" : "WebSocket");
        if (onLongPoll && openedAt < 0) openedAt = Date.now() - started;
      });
      const started = Date.now();
      track(socket);
      await until(() => openedAt >= 0, FALLBACK_MS + MARGIN_MS + 2000, "the socket opens on LongPoll");
      // Only the silent server lets a WebSocket open at all (and it never answers the ping).
      expect(opens).toEqual(refusal === "accepted, then silent (no ping answer)" ? ["WebSocket", "LongPoll"] : ["LongPoll"]);
      expect(socket.transport).toBe(OurLongPoll);
      expect(openedAt).toBeLessThan(FALLBACK_MS + MARGIN_MS);
      if (refusal === "never answered" || refusal === "accepted, then silent (no ping answer)") {
        // Nothing told the client the upgrade failed: only the window can have switched it.
        expect(openedAt).toBeGreaterThanOrEqual(FALLBACK_MS - 10);
        expect(upgrades()).toBe(1);
      }
      // WebSocket never worked here, so the switch is remembered for the session.
      expect(socket.sessionStore.getItem(FALLBACK_STORAGE_KEY)).toBe("true");

      const channel = socket.channel("room:fallback");
      expect(await reply(channel.join())).toEqual(["ok", {}]);
      expect(await reply(channel.push("echo", { over: "longpoll" }))).toEqual(["ok", { over: "longpoll" }]);
    },
  );
});

// ------------------------------------------------------------------ volume and restart

/**
 * A fetch over `node:http` with a new TCP connection per request. The restart test uses it: with
 * the platform fetch, the poll released right after the restart may go out on a pooled keep-alive
 * connection to the old server that the pool has not yet seen closed, and fail as a network error
 * instead of reaching the new server.
 */
const freshConnectionFetch: LongPollFetch = (url, init) =>
  new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers, agent: false, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, text: async () => text });
      });
    });
    req.on("error", reject);
    req.end(init.body);
  });

/** Wraps the fetch our LongPoll uses: records answers and can hold requests back (a stalled network). */
function instrumentFetch(base: LongPollFetch = (url, init) => fetch(url, init)) {
  const answers: Array<{ method: string; url: string; sent: string | undefined; body: string }> = [];
  const waiting: string[] = [];
  const failures: Array<{ method: string; url: string; error: unknown }> = [];
  let gate: Promise<void> | null = null;
  let release: () => void = () => undefined;
  const wrapped: LongPollFetch = async (url: string, init: LongPollRequestInit) => {
    if (gate) {
      waiting.push(`${init.method} ${url}`);
      await gate;
    }
    try {
      const answer = await base(url, init);
      const body = await answer.text();
      answers.push({ method: init.method, url, sent: init.body, body });
      return { status: answer.status, text: async () => body };
    } catch (error) {
      failures.push({ method: init.method, url, error });
      throw error;
    }
  };
  OurLongPoll.fetch = wrapped;
  return {
    answers,
    waiting,
    failures,
    hold(): void {
      gate = new Promise<void>((resolve) => (release = resolve));
    },
    let(): void {
      gate = null;
      release();
    },
  };
}

describe("phx-channels over LongPoll under load and across a server restart", () => {
  it("1,000 broadcasts sent while the client keeps polling all arrive, in order, none twice", async () => {
    const { endpoint, port } = await startRooms();
    const net = instrumentFetch();
    const socket = track(new OurSocket(`ws://127.0.0.1:${port}/socket`, { ...FAST, transport: OurLongPoll }));
    const channel = socket.channel("room:flood");
    const got: number[] = [];
    let done = false;
    channel.on("n", (p) => got.push((p as { i: number }).i));
    channel.on("done", () => (done = true));
    expect(await reply(channel.join())).toEqual(["ok", {}]);

    const pollsBefore = net.answers.filter((a) => a.method === "GET").length;
    for (let chunk = 0; chunk < 20; chunk++) {
      for (let i = chunk * 50; i < (chunk + 1) * 50; i++) endpoint.broadcast("room:flood", "n", { i });
      await delay(5);
    }
    // A marker after the last one: once it is in, anything sent before it has been delivered.
    endpoint.broadcast("room:flood", "done", {});
    await until(() => done, 10_000, "the marker arrives");

    expect(got.length).toBe(1000);
    expect(got).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(new Set(got).size).toBe(1000);
    const pollsWithMessages = net.answers
      .slice(pollsBefore)
      .filter((a) => a.method === "GET" && (JSON.parse(a.body) as { status: number }).status === 200).length;
    // The stream was spread over several polls, not handed over in one answer.
    expect(pollsWithMessages).toBeGreaterThan(1);
  });

  it("250 pushes made in one tick go out in POSTs of at most 100 and all get their replies, in order", async () => {
    const { port } = await startRooms();
    const net = instrumentFetch();
    const socket = track(new OurSocket(`ws://127.0.0.1:${port}/socket`, { ...FAST, transport: OurLongPoll }));
    const channel = socket.channel("room:batch");
    expect(await reply(channel.join())).toEqual(["ok", {}]);
    const order: number[] = [];
    const replies = Array.from({ length: 250 }, (_, i) =>
      reply(channel.push("echo", { i })).then((r) => {
        order.push(i);
        return r;
      }),
    );
    const all = await Promise.all(replies);
    expect(all).toEqual(Array.from({ length: 250 }, (_, i) => ["ok", { i }]));
    expect(order).toEqual(Array.from({ length: 250 }, (_, i) => i));
    // The join's POST may be answered after its reply arrived by poll: pick the echo POSTs.
    const posts = net.answers.filter((a) => a.method === "POST" && a.sent?.includes('"echo"'));
    expect(posts.map((p) => p.sent?.split("\n").length)).toEqual([100, 100, 50]);
    expect(posts.map((p) => JSON.parse(p.body) as unknown)).toEqual([{ status: 200 }, { status: 200 }, { status: 200 }]);
  });

  it("a binary push and the server's binary reply and push travel over LongPoll (base64 on the wire)", async () => {
    const app = createExampleApp({ logger: false });
    const port = await app.listen({ port: 0 });
    cleanups.push(() => app.close());
    const socket = track(new OurSocket(`ws://127.0.0.1:${port}/short_socket`, { ...FAST, transport: OurLongPoll }));
    const channel = socket.channel("room:bin");
    const pushed: unknown[] = [];
    channel.on("binary_push", (p) => pushed.push(p));
    expect(await reply(channel.join())).toEqual(["ok", {}]);
    const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);
    expect(await reply(channel.push("binary_size", bytes.buffer))).toEqual(["ok", { size: 6 }]);
    const [status, echoed] = await reply(channel.push("binary", bytes.buffer));
    expect(status).toBe("ok");
    expect(echoed).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(echoed as ArrayBuffer)]).toEqual([...bytes]);
    expect(await reply(channel.push("push_binary", {}))).toEqual(["ok", {}]);
    expect(pushed).toHaveLength(1);
    expect([...new Uint8Array(pushed[0] as ArrayBuffer)]).toEqual([1, 2, 3, 4, 255]);
  });

  it("server restarted on the same port mid-session: the client gets 410 for its old token, reconnects, rejoins by itself, and a push works", async () => {
    const first = await startRooms();
    const port = first.port;
    const net = instrumentFetch(freshConnectionFetch);
    const socket = new OurSocket(`ws://127.0.0.1:${port}/socket`, { ...FAST, transport: OurLongPoll });
    const errors: unknown[] = [];
    socket.onError((e) => errors.push(e));
    track(socket);
    const channel = socket.channel("room:restart");
    let joins = 0;
    const joinPush = channel.join();
    joinPush.receive("ok", () => joins++);
    expect(await reply(joinPush)).toEqual(["ok", {}]);
    expect(await reply(channel.push("echo", { before: true }))).toEqual(["ok", { before: true }]);

    // Stall the network, let the held poll end (its 300 ms window), so the next poll, carrying the
    // old session token, waits at the gate while the server restarts.
    net.hold();
    await until(() => net.waiting.length > 0, 3000, "the next poll waits at the gate");
    expect(net.waiting).toHaveLength(1);
    expect(net.waiting[0]).toMatch(/^GET .*[?&]token=/);
    await first.endpoint.close();
    const second = await startRooms(port);
    expect(second.port).toBe(port);
    const answeredBefore = net.answers.length;
    net.let();

    await until(() => joins === 2 && channel.state === "joined", 5000, "the channel rejoins");
    // The new server did not know the token: it answered 410 (and a token of its own).
    const firstAnswer = net.answers[answeredBefore];
    expect(firstAnswer?.method).toBe("GET");
    expect(firstAnswer?.url).toMatch(/[?&]token=/);
    expect(JSON.parse(firstAnswer?.body ?? "{}")).toMatchObject({ status: 410, token: expect.any(String) });
    const gone = errors.find((e): e is LongPollError => e instanceof LongPollError);
    expect(gone?.reason).toBe("session_gone");
    expect(gone?.status).toBe(410);

    expect(net.failures).toEqual([]);
    expect(second.endpoint.subscribers("room:restart")).toBe(1);
    expect(await reply(channel.push("echo", { after: true }))).toEqual(["ok", { after: true }]);
  });
});
