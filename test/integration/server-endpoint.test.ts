/**
 * The reference server's public API on real sockets: listen/attach/close, connect and socket ids,
 * channel callbacks and results, broadcast/broadcastFrom/push, options, static files, serve().
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import WebSocket from "ws";
import {
  Endpoint,
  error,
  joined,
  noreply,
  ok,
  refuse,
  serve,
  stop,
  type ChannelDef,
  type ChannelSocket,
} from "../../src/server/index";
import { RawWsClient } from "../support/raw-ws-client";

/** A raw client whose `send` takes a value and sends it as JSON (buffers as binary frames). */
class Client extends RawWsClient {
  override send(v: unknown): void {
    super.send(Buffer.isBuffer(v) ? v : JSON.stringify(v));
  }
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(endpoint: Endpoint): Promise<number> {
  cleanups.push(() => endpoint.close());
  return endpoint.listen({ port: 0 });
}

function client(port: number, path = "/socket", query = "vsn=2.0.0", protocols?: string[]): Client {
  const c = new Client(`ws://127.0.0.1:${port}${path}/websocket?${query}`, protocols);
  cleanups.push(() => c.ws.terminate());
  return c;
}

async function joinTopic(c: Client, topic: string, payload: unknown = {}, joinRef = "1"): Promise<unknown> {
  c.send([joinRef, joinRef, topic, "phx_join", payload]);
  return c.text();
}

const echoRoom: ChannelDef = { join: () => joined(), handleIn: (_e, p) => ok(p) };

describe("listening, attaching and closing", () => {
  test("listen with port 0 resolves the bound ephemeral port", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", { channels: { "room:*": echoRoom } });
    const port = await start(endpoint);
    expect(port).toBeGreaterThan(0);
    expect(endpoint.port).toBe(port);
    const c = client(port);
    expect(await c.opened()).toBe(101);
  });

  test("listening on a port already in use rejects", async () => {
    const a = new Endpoint({ logger: false });
    const port = await start(a);
    const b = new Endpoint({ logger: false });
    await expect(b.listen({ port })).rejects.toThrow(/EADDRINUSE/);
  });

  test("attach serves sockets from an existing http server and leaves other requests to it", async () => {
    const server: Server = createServer((req, res) => {
      if (req.url === "/hello") res.end("hi from the app");
    });
    const endpoint = new Endpoint({ logger: false }).socket("/socket", { channels: { "room:*": echoRoom } });
    endpoint.attach(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    cleanups.push(() => endpoint.close());
    const port = (server.address() as { port: number }).port;
    expect(await (await fetch(`http://127.0.0.1:${port}/hello`)).text()).toBe("hi from the app");
    const c = client(port);
    await c.opened();
    expect(await joinTopic(c, "room:1")).toEqual(["1", "1", "room:1", "phx_reply", { response: {}, status: "ok" }]);
  });

  test("close ends every connection with 1001 (reconnectable) and frees the port", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", { channels: { "room:*": echoRoom } });
    const port = await endpoint.listen({ port: 0 });
    const c = client(port);
    await c.opened();
    await joinTopic(c, "room:1");
    await endpoint.close();
    expect(await c.next()).toEqual({ type: "close", code: 1001 });
    const again = new Endpoint({ logger: false });
    cleanups.push(() => again.close());
    expect(await again.listen({ port })).toBe(port);
  });

  test("close leaves no server, socket or timer handle behind", async () => {
    const count = () => process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap" && r !== "PipeWrap").length;
    const before = count();
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      channels: { "room:*": echoRoom, "slow:*": { join: () => new Promise(() => undefined) } },
      idleTimeoutMs: 60_000,
      longpoll: { windowMs: 10_000 },
    });
    const port = await endpoint.listen({ port: 0 });
    const c = client(port);
    await c.opened();
    await joinTopic(c, "room:1");
    c.send(["2", "2", "slow:1", "phx_join", {}]);
    const poll = await fetch(`http://127.0.0.1:${port}/socket/longpoll?vsn=2.0.0`).then((r) => r.json() as Promise<{ token: string }>);
    const held = fetch(`http://127.0.0.1:${port}/socket/longpoll?vsn=2.0.0&token=${encodeURIComponent(poll.token)}`).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    await endpoint.close();
    await held;
    c.ws.terminate();
    await new Promise((r) => setTimeout(r, 50));
    expect(count()).toBeLessThanOrEqual(before);
  });
});

describe("connect, assigns and socket ids", () => {
  test("an async connect returning {assigns, id} gives channels the assigns and the socket its id", async () => {
    let seen: ChannelSocket | undefined;
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      connect: async (params, info) => {
        await new Promise((r) => setTimeout(r, 5));
        return { assigns: { user: params.user, via: info.transport }, id: `user:${String(params.user)}` };
      },
      channels: {
        "room:*": {
          join: (_t, _p, socket) => {
            seen = socket;
            return joined({ user: socket.assigns.user });
          },
        },
      },
    });
    const port = await start(endpoint);
    const c = client(port, "/socket", "vsn=2.0.0&user=ann&nested[a]=1");
    await c.opened();
    expect(await joinTopic(c, "room:1")).toEqual(["1", "1", "room:1", "phx_reply", { response: { user: "ann" }, status: "ok" }]);
    expect(seen?.id).toBe("user:ann");
    expect(seen?.assigns.via).toBe("websocket");
  });

  test("connect returning false refuses the handshake with 403 and an empty body", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", { connect: () => false, channels: {} });
    const port = await start(endpoint);
    expect(await client(port).opened()).toBe(403);
  });

  test("connect throwing refuses the handshake and the server carries on", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      connect: (p) => {
        if (p.boom) throw new Error("boom");
        return {};
      },
      channels: {},
    });
    const port = await start(endpoint);
    expect(await client(port, "/socket", "vsn=2.0.0&boom=1").opened()).toBe(403);
    expect(await client(port).opened()).toBe(101);
  });

  test("a 'disconnect' broadcast to a socket id closes its connections with 1001 and no others", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      connect: (p) => ({ user: p.user }),
      id: (a) => `users_socket:${String(a.user)}`,
      channels: { "room:*": echoRoom },
    });
    const port = await start(endpoint);
    const [a1, a2, b] = [client(port, "/socket", "vsn=2.0.0&user=a"), client(port, "/socket", "vsn=2.0.0&user=a"), client(port, "/socket", "vsn=2.0.0&user=b")];
    await Promise.all([a1.opened(), a2.opened(), b.opened()]);
    endpoint.broadcast("users_socket:a", "disconnect", {});
    expect(await a1.next()).toEqual({ type: "close", code: 1001 });
    expect(await a2.next()).toEqual({ type: "close", code: 1001 });
    b.send([null, "1", "phoenix", "heartbeat", {}]);
    expect(await b.text()).toEqual([null, "1", "phoenix", "phx_reply", { response: {}, status: "ok" }]);
  });

  test("the bearer sub-protocol token reaches connect as connectInfo.authToken on authToken sockets", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      authToken: true,
      connect: (_p, info) => (info.authToken === "s3cret" ? { who: "token" } : false),
      channels: { "room:*": { join: (_t, _p, s) => joined({ who: s.assigns.who }) } },
    });
    const port = await start(endpoint);
    const token = Buffer.from("s3cret").toString("base64").replace(/=+$/, "");
    const c = client(port, "/socket", "vsn=2.0.0", ["phoenix", `base64url.bearer.phx.${token}`]);
    expect(await c.opened()).toBe(101);
    expect(c.ws.protocol).toBe("phoenix");
    expect(await joinTopic(c, "room:1")).toEqual(["1", "1", "room:1", "phx_reply", { response: { who: "token" }, status: "ok" }]);
    expect(await client(port, "/socket", "vsn=2.0.0", ["phoenix", "base64url.bearer.phx.d3Jvbmc"]).opened()).toBe(403);
  });

  test("checkOrigin as a function decides the handshake; no Origin header passes", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      checkOrigin: (o) => o.endsWith(".good.example"),
      channels: {},
    });
    const port = await start(endpoint);
    const mk = (origin?: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket/websocket?vsn=2.0.0`, origin ? { origin } : {});
      cleanups.push(() => ws.terminate());
      return new Promise<number>((r) => {
        ws.on("open", () => r(101));
        ws.on("unexpected-response", (_q, res) => r(res.statusCode ?? 0));
        ws.on("error", () => r(-1));
      });
    };
    expect(await mk("https://app.good.example")).toBe(101);
    expect(await mk("https://evil.example")).toBe(403);
    expect(await mk()).toBe(101);
  });
});

describe("channel callbacks", () => {
  test("join can refuse, reply, or crash ('join crashed'), sync or async", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      channels: {
        "ok:*": { join: async () => joined({ welcome: true }) },
        "no:*": { join: () => refuse({ reason: "nope" }) },
        "boom:*": {
          join: () => {
            throw new Error("boom");
          },
        },
        "reject:*": { join: () => Promise.reject(new Error("later boom")) },
      },
    });
    const port = await start(endpoint);
    const c = client(port);
    await c.opened();
    expect(await joinTopic(c, "ok:1")).toEqual(["1", "1", "ok:1", "phx_reply", { response: { welcome: true }, status: "ok" }]);
    expect(await joinTopic(c, "no:1")).toEqual(["1", "1", "no:1", "phx_reply", { response: { reason: "nope" }, status: "error" }]);
    expect(await joinTopic(c, "boom:1")).toEqual(["1", "1", "boom:1", "phx_reply", { response: { reason: "join crashed" }, status: "error" }]);
    expect(await joinTopic(c, "reject:1")).toEqual(["1", "1", "reject:1", "phx_reply", { response: { reason: "join crashed" }, status: "error" }]);
  });

  test("handleIn results: ok/error replies, noreply, stop, async replies and binary replies", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      channels: {
        "room:*": {
          join: () => joined(),
          async handleIn(event, payload) {
            if (event === "ok") return ok({ got: payload });
            if (event === "err") return error({ reason: "bad" });
            if (event === "quiet") return noreply();
            if (event === "bye") return stop();
            if (event === "bytes") return ok(new Uint8Array([9, 8, 7]));
            throw new Error("unknown");
          },
        },
      },
    });
    const port = await start(endpoint);
    const c = client(port);
    await c.opened();
    await joinTopic(c, "room:1");
    c.send(["1", "2", "room:1", "quiet", {}]);
    c.send(["1", "3", "room:1", "ok", { a: 1 }]);
    expect(await c.text()).toEqual(["1", "3", "room:1", "phx_reply", { response: { got: { a: 1 } }, status: "ok" }]);
    c.send(["1", "4", "room:1", "err", {}]);
    expect(await c.text()).toEqual(["1", "4", "room:1", "phx_reply", { response: { reason: "bad" }, status: "error" }]);
    c.send(["1", "5", "room:1", "bytes", {}]);
    const bin = await c.next();
    expect(bin?.type).toBe("binary");
    // kind 1 (reply), sizes of "1", "5", "room:1", "ok", then the strings, then the bytes
    expect([...(bin as { data: Buffer }).data]).toEqual([1, 1, 1, 6, 2, ...Buffer.from("15room:1ok"), 9, 8, 7]);
    c.send(["1", "6", "room:1", "bye", {}]);
    expect(await c.text()).toEqual(["1", "1", "room:1", "phx_close", {}]);
  });

  test("terminate and onTerminate run once with the reason: leave, crash, duplicate join, connection closed", async () => {
    const reasons: string[] = [];
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      channels: {
        "room:*": {
          join: (_t, _p, socket) => {
            socket.onTerminate((r) => reasons.push(`cb:${r}`));
            return joined();
          },
          handleIn: () => {
            throw new Error("crash");
          },
          terminate: (r) => reasons.push(`def:${r}`),
        },
      },
    });
    const port = await start(endpoint);
    const c = client(port);
    await c.opened();
    await joinTopic(c, "room:1");
    c.send(["1", "2", "room:1", "phx_leave", {}]);
    await c.text();
    await c.text();
    await joinTopic(c, "room:1", {}, "3");
    c.send(["3", "4", "room:1", "anything", {}]);
    expect(await c.text()).toEqual(["3", "3", "room:1", "phx_error", {}]);
    await joinTopic(c, "room:1", {}, "5");
    await joinTopic(c, "room:1", {}, "6");
    expect(await c.text()).toEqual(["5", "5", "room:1", "phx_close", {}]);
    c.ws.terminate();
    await new Promise((r) => setTimeout(r, 100));
    expect(reasons).toEqual([
      "cb:leave", "def:leave",
      "cb:crash", "def:crash",
      "cb:duplicate_join", "def:duplicate_join",
      "cb:closed", "def:closed",
    ]);
  });

  test("pushes made inside join arrive after the join reply; afterJoin runs once subscribed", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      channels: {
        "room:*": {
          join: (_t, _p, socket) => {
            socket.push("early", { n: 1 });
            socket.afterJoin(() => socket.broadcast("joined", { n: 2 }));
            return joined();
          },
        },
      },
    });
    const port = await start(endpoint);
    const c = client(port);
    await c.opened();
    expect(await joinTopic(c, "room:1")).toEqual(["1", "1", "room:1", "phx_reply", { response: {}, status: "ok" }]);
    expect(await c.text()).toEqual(["1", null, "room:1", "early", { n: 1 }]);
    expect(await c.text()).toEqual([null, null, "room:1", "joined", { n: 2 }]);
  });

  test("maxChannels caps the topics of one connection; a leave frees a slot", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", { maxChannels: 1, channels: { "room:*": echoRoom } });
    const port = await start(endpoint);
    const c = client(port);
    await c.opened();
    await joinTopic(c, "room:1");
    expect(await joinTopic(c, "room:2", {}, "2")).toEqual(["2", "2", "room:2", "phx_reply", { response: { reason: "too many channels joined" }, status: "error" }]);
    c.send(["1", "3", "room:1", "phx_leave", {}]);
    expect(await c.text()).toEqual(["1", "3", "room:1", "phx_reply", { response: {}, status: "ok" }]);
    expect(await c.text()).toEqual(["1", "1", "room:1", "phx_close", {}]);
    expect(await joinTopic(c, "room:2", {}, "4")).toEqual(["4", "4", "room:2", "phx_reply", { response: {}, status: "ok" }]);
  });

  test("idleTimeoutMs closes a silent connection with 1002, and inbound data keeps it open", async () => {
    const endpoint = new Endpoint({ logger: false }).socket("/socket", { idleTimeoutMs: 300, channels: {} });
    const port = await start(endpoint);
    const c = client(port);
    await c.opened();
    const t0 = Date.now();
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 150));
      c.send([null, String(i), "phoenix", "heartbeat", {}]);
      await c.text();
    }
    expect(await c.next(2000)).toEqual({ type: "close", code: 1002 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600 + 250);
  });
});

describe("broadcasting and pushing from the endpoint", () => {
  test("broadcast reaches every subscriber, broadcastFrom skips the sender, push reaches one channel", async () => {
    const sockets: ChannelSocket[] = [];
    const endpoint = new Endpoint({ logger: false }).socket("/socket", {
      channels: {
        "room:*": {
          join: (_t, _p, s) => {
            sockets.push(s);
            return joined();
          },
          handleIn: (event, payload, socket) => {
            socket.broadcastFrom(event, payload);
            return noreply();
          },
        },
      },
    });
    const port = await start(endpoint);
    const [a, b] = [client(port), client(port)];
    await Promise.all([a.opened(), b.opened()]);
    await joinTopic(a, "room:x");
    await joinTopic(b, "room:x");
    endpoint.broadcast("room:x", "news", { v: 1 });
    expect(await a.text()).toEqual([null, null, "room:x", "news", { v: 1 }]);
    expect(await b.text()).toEqual([null, null, "room:x", "news", { v: 1 }]);
    a.send(["1", "2", "room:x", "typing", { who: "a" }]);
    expect(await b.text()).toEqual([null, null, "room:x", "typing", { who: "a" }]);
    endpoint.push(sockets[1] as ChannelSocket, "direct", { to: "b" });
    expect(await b.text()).toEqual(["1", null, "room:x", "direct", { to: "b" }]);
    expect(await a.next(200)).toBeUndefined();
    expect(endpoint.subscribers("room:x")).toBe(2);
  });
});

describe("HTTP besides the sockets", () => {
  test("static serves a directory at / and 404s what is missing or escapes it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "phx-static-"));
    writeFileSync(join(dir, "index.html"), "<h1>demo</h1>");
    const endpoint = new Endpoint({ logger: false, static: { dir } });
    const port = await start(endpoint);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toBe("<h1>demo</h1>");
    expect((await fetch(`http://127.0.0.1:${port}/missing.js`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/..%2f..%2fetc%2fpasswd`)).status).toBe(404);
  });

  test("httpHandler answers requests no socket claims", async () => {
    const endpoint = new Endpoint({ logger: false, httpHandler: (_req, res) => res.writeHead(418).end("teapot") });
    const port = await start(endpoint);
    const res = await fetch(`http://127.0.0.1:${port}/anything`);
    expect(res.status).toBe(418);
  });

  test("serve() starts the example app and reports its URL", async () => {
    const server = await serve({ port: 0, logger: false });
    cleanups.push(() => server.close());
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const c = client(server.port);
    await c.opened();
    c.send(["1", "1", "room:lobby", "phx_join", {}]);
    expect(await c.text()).toEqual(["1", "1", "room:lobby", "phx_reply", { response: {}, status: "ok" }]);
  });
});
