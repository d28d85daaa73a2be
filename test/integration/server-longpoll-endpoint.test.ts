/**
 * The long-poll transport behind the real Endpoint: the official phoenix.js client over LongPoll,
 * server Presence over long-poll, a recorded exchange replayed byte for byte, and shutdown.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { Endpoint } from "../../src/server/endpoint";
import { Presence } from "../../src/server/presence";
import { joined, noreply, ok, type ChannelDef } from "../../src/server/types";

// phoenix.js ships no type declarations: describe the little used here, and import it untyped.
interface PhxPush {
  receive(status: string, cb: (response: unknown) => void): PhxPush;
}
interface PhxChannel {
  join(): PhxPush;
  leave(): PhxPush;
  push(event: string, payload: unknown): PhxPush;
  on(event: string, cb: (payload: unknown) => void): number;
}
interface Socket {
  transport: unknown;
  conn: { close(): void } | null;
  reconnectTimer: { reset(): void; scheduleTimeout(): void };
  connect(): void;
  disconnect(): void;
  channel(topic: string, params: unknown): PhxChannel;
}
interface PhxPresenceInstance {
  list<T>(chooser: (id: string, entry: { metas: Array<{ status?: string }> }) => T): T[];
}
interface PhoenixModule {
  Socket: new (url: string, opts: Record<string, unknown>) => Socket;
  LongPoll: unknown;
  Presence: new (channel: PhxChannel) => PhxPresenceInstance;
}
const phoenixModuleName = "phoenix";
const { Socket, LongPoll, Presence: PhxPresence } = (await import(phoenixModuleName)) as PhoenixModule;

const endpoints: Endpoint[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await Promise.all(endpoints.splice(0).map((e) => e.close()));
});

async function startEndpoint(windowMs = 500): Promise<{ endpoint: Endpoint; presence: Presence; base: string }> {
  const endpoint = new Endpoint({ logger: false });
  const presence = new Presence(endpoint);
  const room: ChannelDef = {
    join: () => joined(),
    handleIn(event, payload, socket) {
      if (event === "echo") return ok(payload);
      if (event === "broadcast") {
        socket.broadcast("broadcasted", payload);
        return noreply();
      }
      throw new Error(`no clause for ${event}`);
    },
  };
  const lobby: ChannelDef = {
    join(_topic, payload, socket) {
      const userId = String((payload as { user_id?: unknown }).user_id ?? "anonymous");
      socket.afterJoin(() => {
        presence.track(socket, userId, { name: userId });
        socket.push("presence_state", presence.list(socket.topic));
      });
      return joined();
    },
    handleIn(event, payload, socket) {
      if (event === "set_status") {
        presence.update(socket, String((payload as { user_id: string }).user_id), (old) => ({ ...old, status: (payload as { status: string }).status }));
        return ok({});
      }
      return ok(payload);
    },
  };
  endpoint.socket("/socket", { channels: { "room:*": room, "presence:*": lobby }, longpoll: { windowMs }, websocket: false });
  const port = await endpoint.listen({ port: 0 });
  endpoints.push(endpoint);
  return { endpoint, presence, base: `http://127.0.0.1:${port}` };
}

function phxSocket(base: string, params: Record<string, string> = {}): Socket {
  const socket = new Socket(`${base}/socket`, { transport: LongPoll, params, timeout: 3000, longpollerTimeout: 5000 });
  sockets.push(socket);
  socket.connect();
  return socket;
}

function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = (): void => {
      if (check()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error("condition not met in time"));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe("long-poll behind the Endpoint", () => {
  it("the official phoenix.js client joins, pushes, gets replies and broadcasts, and leaves over LongPoll", async () => {
    const { base } = await startEndpoint();
    const socket = phxSocket(base);
    const channel = socket.channel("room:lobby", {});
    const joinReply = await new Promise<string>((resolve) => {
      channel.join().receive("ok", () => resolve("ok")).receive("error", () => resolve("error")).receive("timeout", () => resolve("timeout"));
    });
    expect(joinReply).toBe("ok");
    expect(socket.transport).toBe(LongPoll);
    const echoed = await new Promise<unknown>((resolve) => channel.push("echo", { hello: "lp" }).receive("ok", resolve));
    expect(echoed).toEqual({ hello: "lp" });
    const got = new Promise<unknown>((resolve) => channel.on("broadcasted", resolve));
    channel.push("broadcast", { n: 1 });
    expect(await got).toEqual({ n: 1 });
    const left = await new Promise<string>((resolve) => channel.leave().receive("ok", () => resolve("ok")));
    expect(left).toBe("ok");
  });

  it("replays the lp-v2-ndjson-batch exchange byte for byte (bodies and key order)", async () => {
    const { base } = await startEndpoint();
    const open = (await (await fetch(`${base}/socket/longpoll?vsn=2.0.0`, { headers: { Accept: "application/json" } })).json()) as { token: string };
    const url = `${base}/socket/longpoll?vsn=2.0.0&token=${encodeURIComponent(open.token)}`;
    const batch = [
      '["1","1","room:lobby","phx_join",{}]',
      '["1","2","room:lobby","echo",{"i":2}]',
      '["1","3","room:lobby","broadcast",{"i":3}]',
      '[null,"4","phoenix","heartbeat",{}]',
    ].join("\n");
    const posted = await fetch(url, { method: "POST", headers: { "Content-Type": "application/x-ndjson" }, body: batch });
    expect(await posted.text()).toBe('{"status":200}');
    const polled = await (await fetch(url, { headers: { Accept: "application/json" } })).text();
    expect(polled).toBe(
      JSON.stringify({
        messages: [
          '["1","1","room:lobby","phx_reply",{"response":{},"status":"ok"}]',
          '["1","2","room:lobby","phx_reply",{"response":{"i":2},"status":"ok"}]',
          '[null,null,"room:lobby","broadcasted",{"i":3}]',
          '[null,"4","phoenix","phx_reply",{"response":{},"status":"ok"}]',
        ],
        status: 200,
        token: open.token,
      }),
    );
  });

  it("presence over long-poll: phoenix.js clients converge on joins, updates and a dropped client", async () => {
    const { endpoint, base } = await startEndpoint(200);
    const lists: Array<() => string[]> = [];
    const clients = ["alice", "bob"].map((user) => {
      const socket = phxSocket(base);
      const channel = socket.channel("presence:lobby", { user_id: user });
      const presence = new PhxPresence(channel);
      lists.push(() =>
        presence
          .list((id, { metas }) => `${id}:${metas.length}:${metas[0]?.status ?? "-"}`)
          .sort(),
      );
      channel.join();
      return { socket, channel };
    });
    await until(() => lists.every((l) => l().join() === "alice:1:-,bob:1:-"));
    clients[0]?.channel.push("set_status", { user_id: "alice", status: "busy" });
    await until(() => lists.every((l) => l().join() === "alice:1:busy,bob:1:-"));
    // Kill bob's transport without leaving: the session expires (~1.5 windows) and presence untracks him.
    const bob = clients[1]?.socket as Socket;
    bob.conn?.close();
    bob.reconnectTimer.reset();
    bob.reconnectTimer.scheduleTimeout = () => undefined;
    await until(() => (lists[0] as () => string[])().join() === "alice:1:busy", 5000);
    expect(endpoint.subscribers("presence:lobby")).toBe(1);
  });

  it("a short-lived endpoint with long-poll sessions leaves nothing behind: its process exits by itself after close()", async () => {
    // A child process exits only when no timer, socket or server is left; a leaked poll-window
    // (10 s) or session timer (15 s) would keep it alive far past the 4 s allowed here.
    const script = `
      const http = require("node:http");
      const { Endpoint } = require(${JSON.stringify(fileURLToPath(new URL("../../src/server/endpoint.ts", import.meta.url)))});
      const req = (port, method, path, body) => new Promise((resolve, reject) => {
        const r = http.request({ host: "127.0.0.1", port, method, path, agent: false,
          headers: body ? { "content-type": "application/x-ndjson" } : {} }, (res) => {
          let data = ""; res.on("data", (c) => (data += c)); res.on("end", () => resolve(data));
        });
        r.on("error", reject); r.end(body);
      });
      (async () => {
        const endpoint = new Endpoint({ logger: false });
        endpoint.socket("/socket", { channels: { "room:*": { join: () => ({ ok: true }) } }, longpoll: { windowMs: 10000 }, websocket: false });
        const port = await endpoint.listen({ port: 0 });
        const tokens = [];
        for (let i = 0; i < 3; i++) tokens.push(JSON.parse(await req(port, "GET", "/socket/longpoll?vsn=2.0.0")).token);
        const q = (t) => "/socket/longpoll?vsn=2.0.0&token=" + encodeURIComponent(t);
        await req(port, "POST", q(tokens[0]), '["1","1","room:lobby","phx_join",{}]');
        await req(port, "GET", q(tokens[0]));
        const held = req(port, "GET", q(tokens[1])).catch(() => "network error");
        await new Promise((r) => setTimeout(r, 50));
        await endpoint.close();
        console.log("held poll answered: " + (await held));
        console.log("closed");
      })().catch((e) => { console.error(e); process.exit(2); });
    `;
    const bundled = await build({ stdin: { contents: script, resolveDir: process.cwd(), loader: "js" }, bundle: true, platform: "node", format: "cjs", write: false, external: ["ws", "bufferutil", "utf-8-validate"], logLevel: "silent" });
    const code = bundled.outputFiles[0]?.text ?? "";
    const child = spawn(process.execPath, ["-e", code], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    let closedAt = 0;
    const exit = await new Promise<number | null>((resolve) => {
      const poll = setInterval(() => {
        if (closedAt === 0 && out.includes("closed\n")) closedAt = Date.now();
      }, 5);
      const guard = setTimeout(() => child.kill(), 8000);
      child.on("exit", (exitCode) => {
        clearInterval(poll);
        clearTimeout(guard);
        if (closedAt === 0 && out.includes("closed\n")) closedAt = Date.now();
        resolve(exitCode);
      });
    });
    expect(out).toContain('held poll answered: {"status":410}');
    expect(exit).toBe(0);
    expect(closedAt).toBeGreaterThan(0);
    expect(Date.now() - closedAt).toBeLessThan(4000);
  });

  it("endpoint.close() ends a held poll at once and resolves", async () => {
    const { endpoint, base } = await startEndpoint(10_000);
    const open = (await (await fetch(`${base}/socket/longpoll?vsn=2.0.0`)).json()) as { token: string };
    const held = fetch(`${base}/socket/longpoll?vsn=2.0.0&token=${encodeURIComponent(open.token)}`).then(
      (r) => r.text(),
      () => "network error",
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await endpoint.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(['{"status":410}', "network error"]).toContain(await held);
  });
});
