/**
 * The long-poll transport over real HTTP on 127.0.0.1, driven with fetch.
 * The mount is hand-made (a tiny echo/broadcast channel over the real wire encoders), so these
 * tests pin the transport's own behaviour: sessions, tokens, polls, POST parsing, lifecycle.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { LongPollTransport, type LongPollTransportOptions } from "../../src/server/longpoll";
import { signLongPollToken } from "../../src/server/longpoll-token";
import type { AcceptRequest, AcceptResult, MountInfo, ServerConnection, TransportSink } from "../../src/server/transport";
import { decodeFor, encodeFor, resolveVsn, type Vsn } from "../../src/server/wire";
import type { Message } from "../../src/protocol";

const SECRET = "integration-test-secret";

// ---------------------------------------------------------------- a hand-made mount

class FakeConnection implements ServerConnection {
  readonly joined = new Set<string>();
  readonly events: string[] = [];
  terminated: string | null = null;
  constructor(
    readonly vsn: Vsn,
    readonly sink: TransportSink,
    private readonly hub: Hub,
    readonly request: AcceptRequest,
  ) {}

  receive(raw: string | Uint8Array): boolean {
    let msg: Message;
    try {
      msg = decodeFor(this.vsn, raw);
    } catch {
      return false;
    }
    this.events.push(msg.event);
    const reply = (response: unknown): void =>
      this.send({ join_ref: msg.join_ref, ref: msg.ref, topic: msg.topic, event: "phx_reply", payload: { status: "ok", response } });
    if (msg.topic === "phoenix" && msg.event === "heartbeat") reply({});
    else if (msg.event === "phx_join") {
      this.joined.add(msg.topic);
      this.hub.subscribe(msg.topic, this);
      reply({});
    } else if (msg.event === "echo") reply(msg.payload);
    else if (msg.event === "whoami") reply({ authToken: this.request.connectInfo.authToken ?? null, params: this.request.params });
    else if (msg.event === "broadcast") this.hub.broadcast(msg.topic, "broadcasted", msg.payload);
    else if (msg.event === "binary_size") reply({ size: (msg.payload as ArrayBuffer).byteLength });
    else if (msg.event === "push_binary") {
      this.send({ join_ref: msg.join_ref, ref: null, topic: msg.topic, event: "binary_push", payload: new Uint8Array([1, 2, 3, 4, 255]).buffer });
      reply({});
    } else if (msg.event === "disconnect_me") this.sink.close(1001, "disconnect");
    return true;
  }

  send(msg: Message): void {
    this.sink.send(encodeFor(this.vsn, msg));
  }

  terminate(reason: string): void {
    this.terminated ??= reason;
    this.hub.unsubscribe(this);
  }
}

class Hub {
  private readonly topics = new Map<string, Set<FakeConnection>>();
  subscribe(topic: string, conn: FakeConnection): void {
    let set = this.topics.get(topic);
    if (set === undefined) this.topics.set(topic, (set = new Set()));
    set.add(conn);
  }
  unsubscribe(conn: FakeConnection): void {
    for (const set of this.topics.values()) set.delete(conn);
  }
  broadcast(topic: string, event: string, payload: unknown): void {
    for (const conn of this.topics.get(topic) ?? []) conn.send({ join_ref: null, ref: null, topic, event, payload });
  }
}

interface MountSpec {
  path?: string;
  windowMs?: number;
  sessionTimeoutMs?: number;
  authTokenEnabled?: boolean;
  /** Connect refuses unless params.token or the auth token is "secret". */
  auth?: boolean;
  allowedOrigin?: string;
  /** Passed on the mount's longpoll object (a member MountInfo may grow). */
  maxBodyBytes?: number;
}

function makeMount(hub: Hub, spec: MountSpec = {}): { mount: MountInfo; connections: FakeConnection[] } {
  const connections: FakeConnection[] = [];
  const longpoll: { windowMs: number; sessionTimeoutMs?: number; maxBodyBytes?: number } = { windowMs: spec.windowMs ?? 10_000 };
  if (spec.sessionTimeoutMs !== undefined) longpoll.sessionTimeoutMs = spec.sessionTimeoutMs;
  if (spec.maxBodyBytes !== undefined) longpoll.maxBodyBytes = spec.maxBodyBytes;
  const mount: MountInfo = {
    path: spec.path ?? "/socket",
    longpoll,
    websocket: false,
    authTokenEnabled: spec.authTokenEnabled ?? false,
    checkOrigin: (origin) => spec.allowedOrigin === undefined || origin === undefined || origin === spec.allowedOrigin,
    accept: async (req): Promise<AcceptResult> => {
      await Promise.resolve();
      const vsn = resolveVsn(req.vsn);
      if (vsn === null) return { ok: false, reason: "unknown_vsn" };
      if (spec.auth === true && req.params.token !== "secret" && req.connectInfo.authToken !== "secret") {
        return { ok: false, reason: "refused" };
      }
      const connection = new FakeConnection(vsn, req.sink, hub, req);
      connections.push(connection);
      return { ok: true, connection };
    },
  };
  return { mount, connections };
}

// ---------------------------------------------------------------- HTTP plumbing

interface Harness {
  base: string;
  hub: Hub;
  transports: Map<string, LongPollTransport>;
  connections: Map<string, FakeConnection[]>;
  server: Server;
}

const harnesses: Harness[] = [];

async function start(specs: MountSpec[] = [{}], options: LongPollTransportOptions = {}): Promise<Harness> {
  const hub = new Hub();
  const transports = new Map<string, LongPollTransport>();
  const connections = new Map<string, FakeConnection[]>();
  for (const spec of specs) {
    const made = makeMount(hub, spec);
    transports.set(made.mount.path, new LongPollTransport(made.mount, SECRET, options));
    connections.set(made.mount.path, made.connections);
  }
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const transport = url.pathname.endsWith("/longpoll") ? transports.get(url.pathname.slice(0, -"/longpoll".length)) : undefined;
    if (transport === undefined) {
      res.writeHead(404).end();
      return;
    }
    transport.handle(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const harness = { base: `http://127.0.0.1:${port}`, hub, transports, connections, server };
  harnesses.push(harness);
  return harness;
}

async function stop(h: Harness): Promise<void> {
  for (const t of h.transports.values()) t.close();
  h.server.closeAllConnections();
  await new Promise<void>((resolve) => h.server.close(() => resolve()));
}

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map(stop));
});

interface LpBody {
  status: number;
  token?: string;
  messages?: string[];
}

async function get(h: Harness, query: string, headers: Record<string, string> = {}, path = "/socket"): Promise<{ http: number; text: string; body: LpBody; headers: Headers }> {
  const res = await fetch(`${h.base}${path}/longpoll?${query}`, { headers: { Accept: "application/json", ...headers } });
  const text = await res.text();
  return { http: res.status, text, body: JSON.parse(text) as LpBody, headers: res.headers };
}

async function post(
  h: Harness,
  query: string,
  body: string,
  contentType = "application/x-ndjson",
  path = "/socket",
  headers: Record<string, string> = {},
): Promise<{ http: number; text: string; headers: Headers }> {
  const res = await fetch(`${h.base}${path}/longpoll?${query}`, { method: "POST", headers: { "Content-Type": contentType, ...headers }, body });
  return { http: res.status, text: await res.text(), headers: res.headers };
}

async function openSession(h: Harness, path = "/socket"): Promise<string> {
  const opened = await get(h, "vsn=2.0.0", {}, path);
  expect(opened.body.status).toBe(410);
  return opened.body.token as string;
}

const q = (token: string, vsn = "2.0.0"): string => `vsn=${vsn}&token=${encodeURIComponent(token)}`;

// ---------------------------------------------------------------- tests

describe("long-poll sessions", () => {
  it("a GET without a token opens a session: HTTP 200, body {messages: [], status: 410, token} in Phoenix's key order and headers", async () => {
    const h = await start();
    const res = await get(h, "vsn=2.0.0");
    expect(res.http).toBe(200);
    expect(res.text).toMatch(/^\{"messages":\[\],"status":410,"token":"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+"\}$/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cache-control")).toBe("max-age=0, private, must-revalidate");
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("vary")).toBe("accept-encoding");
    // fetch sends Accept-Encoding: gzip, and Bandit compressed: so do we
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(h.transports.get("/socket")?.sessionCount).toBe(1);
    expect(h.connections.get("/socket")?.[0]?.request).toMatchObject({ transport: "longpoll", vsn: "2.0.0", params: {} });
  });

  it("join, push and reply: POST answers {status: 200}, the next GET carries the encoded replies", async () => {
    const h = await start();
    const token = await openSession(h);
    const joined = await post(h, q(token), '["1","1","room:lobby","phx_join",{}]');
    expect(joined).toMatchObject({ http: 200, text: '{"status":200}' });
    const poll1 = await get(h, q(token));
    expect(poll1.text).toBe(
      JSON.stringify({ messages: ['["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]'], status: 200, token }),
    );
    await post(h, q(token), '["1","2","room:lobby","echo",{"n":1}]');
    const poll2 = await get(h, q(token));
    expect(poll2.body.messages).toEqual(['["1","2","room:lobby","phx_reply",{"response":{"n":1},"status":"ok"}]']);
  });

  it("a POST with Content-Type application/json is exactly one message", async () => {
    const h = await start();
    const token = await openSession(h);
    expect((await post(h, q(token), '["1","1","room:lobby","phx_join",{}]', "application/json")).text).toBe('{"status":200}');
    expect((await get(h, q(token))).body.messages).toEqual(['["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]']);
  });

  it("V1 over long-poll works with an application/json POST and returns V1 object strings", async () => {
    const h = await start();
    const opened = await get(h, "vsn=1.0.0");
    const token = opened.body.token as string;
    const res = await post(h, q(token, "1.0.0"), '{"topic":"room:lobby","event":"phx_join","payload":{},"ref":"1"}', "application/json");
    expect(res.text).toBe('{"status":200}');
    expect((await get(h, q(token, "1.0.0"))).body.messages).toEqual([
      '{"event":"phx_reply","payload":{"response":{},"status":"ok"},"ref":"1","topic":"room:lobby"}',
    ]);
  });

  it("an ndjson batch is processed in order and one GET returns every reply and broadcast", async () => {
    const h = await start();
    const token = await openSession(h);
    const batch = [
      '["1","1","room:lobby","phx_join",{}]',
      '["1","2","room:lobby","echo",{"i":2}]',
      '["1","3","room:lobby","broadcast",{"i":3}]',
      '[null,"4","phoenix","heartbeat",{}]',
    ].join("\n");
    expect((await post(h, q(token), batch)).text).toBe('{"status":200}');
    expect((await get(h, q(token))).body.messages).toEqual([
      '["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]',
      '["1","2","room:lobby","phx_reply",{"response":{"i":2},"status":"ok"}]',
      '[null,null,"room:lobby","broadcasted",{"i":3}]',
      '[null,"4","phoenix","phx_reply",{"response":{},"status":"ok"}]',
    ]);
  });

  it("a poll with nothing to deliver is held for the window, then answers {messages: [], status: 204, token}", async () => {
    const h = await start([{ windowMs: 300 }]);
    const token = await openSession(h);
    const t0 = Date.now();
    const res = await get(h, q(token));
    const elapsed = Date.now() - t0;
    expect(res.text).toBe(JSON.stringify({ messages: [], status: 204, token }));
    expect(elapsed).toBeGreaterThanOrEqual(250);
  });

  it("a held poll is answered as soon as a message arrives", async () => {
    const h = await start([{ windowMs: 5000 }]);
    const token = await openSession(h);
    await post(h, q(token), '["1","1","room:lobby","phx_join",{}]');
    await get(h, q(token));
    const pending = get(h, q(token));
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    h.hub.broadcast("room:lobby", "news", { hello: "world" });
    const res = await pending;
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(res.body).toEqual({ messages: ['[null,null,"room:lobby","news",{"hello":"world"}]'], status: 200, token });
  });

  it("messages sent after a client aborted its held poll wait for the next poll", async () => {
    const h = await start([{ windowMs: 5000 }]);
    const token = await openSession(h);
    await post(h, q(token), '["1","1","room:lobby","phx_join",{}]');
    await get(h, q(token));
    const abort = new AbortController();
    const aborted = fetch(`${h.base}/socket/longpoll?${q(token)}`, { signal: abort.signal }).catch(() => "aborted");
    await new Promise((r) => setTimeout(r, 50));
    abort.abort();
    expect(await aborted).toBe("aborted");
    // give the server the moment it needs to see the connection close (what is written before
    // that is lost with the socket: the protocol has no acknowledgements)
    await new Promise((r) => setTimeout(r, 100));
    h.hub.broadcast("room:lobby", "after_abort", { n: 1 });
    expect((await get(h, q(token))).body.messages).toEqual(['[null,null,"room:lobby","after_abort",{"n":1}]']);
  });

  it("the session token is also accepted in the X-Phoenix-Longpoll-Token header (Phoenix 1.8.10+)", async () => {
    const h = await start();
    const token = await openSession(h);
    const res = await post(h, "vsn=2.0.0", '["1","1","room:lobby","phx_join",{}]', "application/x-ndjson", "/socket", {
      "X-Phoenix-Longpoll-Token": token,
    });
    expect(res.text).toBe('{"status":200}');
    const poll = await get(h, "vsn=2.0.0", { "X-Phoenix-Longpoll-Token": token });
    expect(poll.body.status).toBe(200);
    expect(poll.body.token).toBe(token);
    // a bogus header does not hide a valid query token (the 1.8.9 recording's step 4)
    const both = await post(h, q(token), '["1","2","room:lobby","echo",{}]', "application/x-ndjson", "/socket", {
      "X-Phoenix-Longpoll-Token": "bogus",
    });
    expect(both.text).toBe('{"status":200}');
  });

  it("a session not polled for ~1.5 windows ends: its connection terminates, POST gets 410, GET opens a new session", async () => {
    const h = await start([{ windowMs: 100 }]);
    const token = await openSession(h);
    await post(h, q(token), '["1","1","room:lobby","phx_join",{}]');
    await new Promise((r) => setTimeout(r, 350));
    const conn = h.connections.get("/socket")?.[0];
    expect(conn?.terminated).toBe("timeout");
    expect(h.transports.get("/socket")?.sessionCount).toBe(0);
    expect((await post(h, q(token), '["1","2","room:lobby","echo",{}]')).text).toBe('{"status":410}');
    const again = await get(h, q(token));
    expect(again.body.status).toBe(410);
    expect(again.body.token).not.toBe(token);
  });

  it("a session that keeps polling stays alive past the inactivity timeout", async () => {
    const h = await start([{ windowMs: 100 }]);
    const token = await openSession(h);
    for (let i = 0; i < 5; i++) expect((await get(h, q(token))).body.status).toBe(204);
    expect(h.connections.get("/socket")?.[0]?.terminated).toBeNull();
  });

  it("a server-side close delivers what was queued, then answers 410 and ends the session", async () => {
    const h = await start([{ windowMs: 2000 }]);
    const token = await openSession(h);
    const posted = await post(h, q(token), '["1","1","room:lobby","phx_join",{}]\n["1","2","room:lobby","disconnect_me",{}]\n["1","3","room:lobby","echo",{}]');
    // the lines after the one that closed the connection are moot: not dispatched
    expect(posted.text).toBe('{"status":200}');
    expect(h.connections.get("/socket")?.[0]?.events).toEqual(["phx_join", "disconnect_me"]);
    const first = await get(h, q(token));
    expect(first.body.messages).toEqual(['["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]']);
    expect(h.transports.get("/socket")?.sessionCount).toBe(0);
    expect(h.connections.get("/socket")?.[0]?.terminated).toBe("closed");
    // the token is dead now: like any unknown token, a GET gets a new session (410, new token)
    const after = await get(h, q(token));
    expect(after.body.status).toBe(410);
    expect(after.body.token).not.toBe(token);
  });

  it("a server-side close answers a held poll with 410 at once", async () => {
    const h = await start([{ windowMs: 5000 }]);
    const token = await openSession(h);
    const pending = get(h, q(token));
    await new Promise((r) => setTimeout(r, 50));
    h.connections.get("/socket")?.[0]?.sink.close(1001, "disconnect");
    expect((await pending).text).toBe('{"status":410}');
  });
});

describe("long-poll tokens that must not resume a session", () => {
  it("a forged token: POST answers {status: 410}, GET silently opens a new session", async () => {
    const h = await start();
    const token = await openSession(h);
    const [body, sig] = token.split(".") as [string, string];
    const forged = `${body}.${sig.slice(0, -4)}${sig.endsWith("AAAA") ? "BBBB" : "AAAA"}`;
    expect((await post(h, q(forged), '["1","1","room:lobby","phx_join",{}]')).text).toBe('{"status":410}');
    const res = await get(h, q(forged));
    expect(res.body).toMatchObject({ status: 410, messages: [] });
    expect(res.body.token).not.toBe(token);
    expect(h.transports.get("/socket")?.sessionCount).toBe(2);
  });

  it("a token signed with another secret (a restarted server) is unknown", async () => {
    const h = await start();
    await openSession(h);
    const foreign = signLongPollToken("another secret", { path: "/socket", sid: "whatever" });
    expect((await post(h, q(foreign), "[]")).text).toBe('{"status":410}');
  });

  it("an expired token is unknown even if its session is alive", async () => {
    const h = await start([{}], { tokenMaxAgeMs: 100 });
    const token = await openSession(h);
    await new Promise((r) => setTimeout(r, 150));
    expect((await post(h, q(token), '["1","1","room:lobby","phx_join",{}]')).text).toBe('{"status":410}');
  });

  it("a token about to expire is replaced by a fresh one on the next poll", async () => {
    const h = await start([{ windowMs: 200, sessionTimeoutMs: 5000 }], { tokenMaxAgeMs: 400 });
    const token = await openSession(h);
    await new Promise((r) => setTimeout(r, 250));
    const poll = await get(h, q(token));
    expect(poll.body.status).toBe(204);
    expect(poll.body.token).not.toBe(token);
    expect((await post(h, q(poll.body.token as string), '["1","1","room:lobby","phx_join",{}]')).text).toBe('{"status":200}');
  });

  it("a token from another socket path is rejected like a forged one", async () => {
    const h = await start([{ path: "/socket" }, { path: "/other_socket" }]);
    const token = await openSession(h, "/socket");
    expect((await post(h, q(token), '["1","1","room:lobby","phx_join",{}]', "application/x-ndjson", "/other_socket")).text).toBe(
      '{"status":410}',
    );
    const res = await get(h, q(token), {}, "/other_socket");
    expect(res.body.status).toBe(410);
    expect(res.body.token).not.toBe(token);
    // the original session is untouched
    expect((await post(h, q(token), '["1","1","room:lobby","phx_join",{}]')).text).toBe('{"status":200}');
  });
});

describe("long-poll connect: refusals, origin, auth token", () => {
  it("a refused connect, an unknown vsn and a bad origin answer {status: 403} with HTTP 200", async () => {
    const h = await start([{ path: "/auth_socket", auth: true }, { path: "/origin_socket", allowedOrigin: "http://good.example" }, { path: "/socket" }]);
    for (const [path, query, headers] of [
      ["/auth_socket", "vsn=2.0.0&token=nope", {}],
      ["/socket", "vsn=3.0.0", {}],
      ["/origin_socket", "vsn=2.0.0", { Origin: "http://evil.example" }],
    ] as const) {
      const res = await get(h, query, headers, path);
      expect(res.http).toBe(200);
      expect(res.text).toBe('{"status":403}');
    }
    expect((await get(h, "vsn=2.0.0", { Origin: "http://good.example" }, "/origin_socket")).body.status).toBe(410);
    expect((await get(h, "vsn=2.0.0", {}, "/origin_socket")).body.status).toBe(410);
  });

  it("a connect param named token is tried as a session token first, then reaches connect", async () => {
    const h = await start([{ path: "/auth_socket", auth: true }]);
    const res = await get(h, "vsn=2.0.0&token=secret&user[name]=ann", {}, "/auth_socket");
    expect(res.body.status).toBe(410);
    expect(h.connections.get("/auth_socket")?.[0]?.request.params).toEqual({ token: "secret", user: { name: "ann" } });
  });

  it("X-Phoenix-AuthToken is read raw at session creation on auth-token sockets, ignored elsewhere", async () => {
    const h = await start([{ path: "/auth_socket", auth: true, authTokenEnabled: true }, { path: "/auth_ci_socket", auth: true }]);
    const opened = await get(h, "vsn=2.0.0", { "X-Phoenix-AuthToken": "secret" }, "/auth_socket");
    expect(opened.body.status).toBe(410);
    expect(h.connections.get("/auth_socket")?.[0]?.request.connectInfo.authToken).toBe("secret");
    // later polls may carry any value: the header is read only when a session is created
    const token = opened.body.token as string;
    await post(h, q(token), '["1","1","room:auth","phx_join",{}]', "application/x-ndjson", "/auth_socket");
    expect((await get(h, q(token), { "X-Phoenix-AuthToken": "wrong" }, "/auth_socket")).body.status).toBe(200);
    expect((await get(h, "vsn=2.0.0", { "X-Phoenix-AuthToken": "wrong" }, "/auth_socket")).text).toBe('{"status":403}');
    expect((await get(h, "vsn=2.0.0", { Authorization: "Bearer secret" }, "/auth_socket")).text).toBe('{"status":403}');
    expect((await get(h, "vsn=2.0.0", { "X-Phoenix-AuthToken": "secret" }, "/auth_ci_socket")).text).toBe('{"status":403}');
    // a POST never creates a session
    const postNoSession = await post(h, "vsn=2.0.0", '["1","1","room:auth","phx_join",{}]', "application/x-ndjson", "/auth_socket", {
      "X-Phoenix-AuthToken": "secret",
    });
    expect(postNoSession.text).toBe('{"status":410}');
  });

  it("OPTIONS answers the CORS preflight; other methods get HTTP 400 with an empty body", async () => {
    const h = await start();
    const pre = await fetch(`${h.base}/socket/longpoll?vsn=2.0.0`, {
      method: "OPTIONS",
      headers: { Origin: "http://x.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type" },
    });
    expect(pre.status).toBe(200);
    expect(await pre.text()).toBe("");
    expect(pre.headers.get("access-control-allow-headers")).toBe("content-type");
    expect(pre.headers.get("access-control-allow-methods")).toBe("get, post, options");
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-max-age")).toBe("3600");
    const put = await fetch(`${h.base}/socket/longpoll?vsn=2.0.0`, { method: "PUT", headers: { "Content-Type": "application/x-ndjson" }, body: "[]" });
    expect(put.status).toBe(400);
    expect(await put.text()).toBe("");
    expect(put.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("long-poll bad input", () => {
  it("an ndjson line that is neither JSON nor base64 answers HTTP 500 before anything is dispatched; the session survives", async () => {
    const h = await start([{ windowMs: 200 }]);
    const token = await openSession(h);
    const res = await post(h, q(token), '["1","1","room:lobby","phx_join",{}]\n{"topic":"x"}');
    expect(res.http).toBe(500);
    expect(res.text).toBe('{"errors":{"detail":"500.json"}}');
    // as recorded: Phoenix's error view drops the transport's CORS header
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    // nothing was dispatched: the join line before the bad one was not processed
    expect((await get(h, q(token))).body.status).toBe(204);
    expect((await post(h, q(token), '["1","1","room:lobby","phx_join",{}]')).text).toBe('{"status":200}');
  });

  it("an undecodable frame answers {status: 408} at once and ends that session only", async () => {
    const h = await start([{ windowMs: 5000 }]);
    const victim = await openSession(h);
    const bystander = await openSession(h);
    await post(h, q(bystander), '["1","1","room:lobby","phx_join",{}]');
    await get(h, q(bystander));
    const t0 = Date.now();
    const res = await post(h, q(victim), "[this is not json");
    expect(res.text).toBe('{"status":408}');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(h.connections.get("/socket")?.[0]?.terminated).toBe("invalid frame");
    const next = await get(h, q(victim));
    expect(next.body.status).toBe(410);
    expect(next.body.token).not.toBe(victim);
    await post(h, q(bystander), '["1","2","room:lobby","echo",{"still":"here"}]');
    expect((await get(h, q(bystander))).body.messages).toEqual([
      '["1","2","room:lobby","phx_reply",{"response":{"still":"here"},"status":"ok"}]',
    ]);
  });

  it("lines before an undecodable one are still processed, in order", async () => {
    const h = await start();
    const token = await openSession(h);
    const res = await post(h, q(token), '["1","1","room:lobby","phx_join",{}]\n["1","2"]');
    expect(res.text).toBe('{"status":408}');
    expect(h.connections.get("/socket")?.[0]?.joined.has("room:lobby")).toBe(true);
  });

  it("an oversize body answers {status: 413} and leaves the session working", async () => {
    const h = await start([{}], { maxBodyBytes: 1024 });
    const token = await openSession(h);
    const big = `["1","1","room:lobby","echo",{"pad":"${"x".repeat(4000)}"}]`;
    const res = await post(h, q(token), big);
    expect(res.http).toBe(200);
    expect(res.text).toBe('{"status":413}');
    expect((await post(h, q(token), '["1","1","room:lobby","phx_join",{}]')).text).toBe('{"status":200}');
    expect((await get(h, q(token))).body.messages).toHaveLength(1);
  });

  it("the body limit can come from the mount's longpoll settings", async () => {
    const h = await start([{ maxBodyBytes: 100 }]);
    const token = await openSession(h);
    expect((await post(h, q(token), `["1","1","room:lobby","echo",{"pad":"${"x".repeat(200)}"}]`)).text).toBe('{"status":413}');
    expect((await post(h, q(token), '["1","1","room:lobby","phx_join",{}]')).text).toBe('{"status":200}');
  });

  it("an oversize body sent without a content-length (chunked) is cut off with {status: 413}", async () => {
    const h = await start([{}], { maxBodyBytes: 1024 });
    const token = await openSession(h);
    const chunks = [new TextEncoder().encode("x".repeat(800)), new TextEncoder().encode("y".repeat(800))];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(next);
      },
    });
    const res = await fetch(`${h.base}/socket/longpoll?${q(token)}`, {
      method: "POST",
      headers: { "Content-Type": "application/x-ndjson" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(await res.text()).toBe('{"status":413}');
    expect((await post(h, q(token), '["1","1","room:lobby","phx_join",{}]')).text).toBe('{"status":200}');
  });
});

describe("long-poll binary", () => {
  it("a client binary push travels as a base64 ndjson line", async () => {
    const h = await start();
    const token = await openSession(h);
    await post(h, q(token), '["1","1","room:lobby","phx_join",{}]');
    await get(h, q(token));
    // the frame recorded in lp-v2-binary: kind 0, join_ref "1", ref "2", "room:lobby", "binary_size", 4 bytes
    const line = "AAEBCgsxMnJvb206bG9iYnliaW5hcnlfc2l6ZQABAvo=";
    expect((await post(h, q(token), line)).text).toBe('{"status":200}');
    expect((await get(h, q(token))).body.messages).toEqual(['["1","2","room:lobby","phx_reply",{"response":{"size":4},"status":"ok"}]']);
  });

  it("a server binary push arrives as a base64 string (not HTTP 500 as in Phoenix 1.7), with the JSON reply after it", async () => {
    const h = await start();
    const token = await openSession(h);
    await post(h, q(token), '["1","1","room:lobby","phx_join",{}]');
    await get(h, q(token));
    await post(h, q(token), '["1","3","room:lobby","push_binary",{}]');
    const poll = await get(h, q(token));
    expect(poll.http).toBe(200);
    const [binary, reply] = poll.body.messages as [string, string];
    expect(binary.startsWith("[")).toBe(false);
    const bytes = Buffer.from(binary, "base64");
    // kind 0 push: join_ref size 1, topic size 10, event size 11, then "1", "room:lobby", "binary_push", payload
    expect([...bytes.subarray(0, 4)]).toEqual([0, 1, 10, 11]);
    expect(bytes.subarray(4, 26).toString()).toBe("1room:lobbybinary_push");
    expect([...bytes.subarray(26)]).toEqual([1, 2, 3, 4, 255]);
    expect(reply).toBe('["1","3","room:lobby","phx_reply",{"response":{},"status":"ok"}]');
  });
});

describe("long-poll delivery under load", () => {
  it("1,000 broadcasts sent while the client keeps polling all arrive, in order, none twice", async () => {
    const h = await start([{ windowMs: 2000 }]);
    const token = await openSession(h);
    await post(h, q(token), '["1","1","room:lobby","phx_join",{}]');
    await get(h, q(token));
    const received: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling || received.length < 1000) {
        const res = await get(h, q(token));
        for (const m of res.body.messages ?? []) received.push((JSON.parse(m) as [null, null, string, string, { n: number }])[4].n);
        if (received.length >= 1000) break;
      }
    })();
    for (let n = 0; n < 1000; n++) {
      h.hub.broadcast("room:lobby", "tick", { n });
      // vary the bursts so some land on a held poll and some queue between polls
      if (n % 37 === 0) await new Promise((r) => setTimeout(r, 1));
      else if (n % 5 === 0) await new Promise((r) => setImmediate(r));
    }
    polling = false;
    await poller;
    expect(received).toHaveLength(1000);
    expect(received).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});

describe("long-poll shutdown", () => {
  it("close() answers held polls with 410, terminates every connection and leaves no timer behind", async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate").length;
    const h = await start([{ windowMs: 10_000 }]);
    const tokens = await Promise.all([openSession(h), openSession(h), openSession(h)]);
    const held = get(h, q(tokens[0] as string));
    await new Promise((r) => setTimeout(r, 50));
    h.hub.broadcast("room:none", "x", {});
    h.transports.get("/socket")?.close();
    expect((await held).text).toBe('{"status":410}');
    expect(h.connections.get("/socket")?.map((c) => c.terminated)).toEqual(["shutdown", "shutdown", "shutdown"]);
    expect(h.transports.get("/socket")?.sessionCount).toBe(0);
    // requests after close get a clear answer, not a hang
    const late = await fetch(`${h.base}/socket/longpoll?vsn=2.0.0`);
    expect(late.status).toBe(503);
    await late.text();
    await stop(harnesses.splice(harnesses.indexOf(h), 1)[0] as Harness);
    await new Promise((r) => setImmediate(r));
    const timersAfter = process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate").length;
    expect(timersAfter).toBeLessThanOrEqual(timersBefore);
  });
});
