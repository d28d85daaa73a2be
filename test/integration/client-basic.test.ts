import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket as WsSocket } from "ws";
import type { AddressInfo } from "node:net";
import { Socket } from "../../src/node";

/** A raw `ws` server answering joins, pushes and heartbeats by hand. */
function startServer(): Promise<{ wss: WebSocketServer; url: string; received: unknown[][]; clients: Set<WsSocket>; protocols: string[] }> {
  const received: unknown[][] = [];
  const protocols: string[] = [];
  const wss = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (offered) => {
      protocols.push(...offered);
      return offered.has("phoenix") ? "phoenix" : false;
    },
  });
  wss.on("connection", (ws) => {
    ws.on("message", (data) => {
      const [joinRef, ref, topic, event, payload] = JSON.parse(String(data)) as [string | null, string, string, string, Record<string, unknown>];
      received.push([joinRef, ref, topic, event, payload]);
      const reply = (status: string, response: unknown) => ws.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status, response }]));
      if (event === "phx_join") reply("ok", { joined: topic });
      else if (event === "heartbeat") reply("ok", {});
      else if (event === "echo") {
        reply("ok", { echoed: payload });
        ws.send(JSON.stringify([null, null, topic, "shout", { body: payload.body }]));
      } else if (event === "refuse") reply("error", { reason: "refused" });
    });
  });
  return new Promise((resolve) => {
    wss.on("listening", () => {
      const { port } = wss.address() as AddressInfo;
      resolve({ wss, url: `ws://127.0.0.1:${port}/socket`, received, clients: wss.clients, protocols });
    });
  });
}

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

describe("Node entry against a raw ws server", () => {
  it("connects to an absolute ws:// URL with no setup, joins, pushes and gets the reply", async () => {
    const server = await startServer();
    cleanup.push(() => new Promise<void>((r) => server.wss.close(() => r())));
    const socket = new Socket(server.url, { params: { user: "u1" }, authToken: "secret" });
    cleanup.push(() => socket.disconnect());
    const opened = new Promise<void>((r) => socket.onOpen(() => r()));
    socket.connect();
    await opened;
    expect(server.protocols).toEqual(["phoenix", "base64url.bearer.phx.c2VjcmV0"]);

    const room = socket.channel("room:1", { token: "t" });
    const shouts: unknown[] = [];
    room.on("shout", (p) => shouts.push(p));
    await expect(room.join()).resolves.toEqual({ joined: "room:1" });
    await expect(room.push("echo", { body: "hello" })).resolves.toEqual({ echoed: { body: "hello" } });
    await expect(room.push("refuse", {})).rejects.toMatchObject({ name: "PushError", status: "error", response: { reason: "refused" } });
    await expect.poll(() => shouts).toEqual([{ body: "hello" }]);
    expect(server.received[0]).toEqual(["1", "1", "room:1", "phx_join", { token: "t" }].map((v, i) => (i < 2 ? expect.any(String) : v)));

    const rtt = await new Promise<number>((r) => socket.ping(r));
    expect(rtt).toBeGreaterThanOrEqual(0);
  });

  it("reconnects and rejoins after the server drops the connection", async () => {
    const server = await startServer();
    cleanup.push(() => new Promise<void>((r) => server.wss.close(() => r())));
    const socket = new Socket(server.url);
    cleanup.push(() => socket.disconnect());
    socket.connect();
    const room = socket.channel("room:2");
    await room.join();
    for (const client of server.clients) client.terminate();
    await expect.poll(() => server.received.filter((f) => f[3] === "phx_join").length, { timeout: 2000 }).toBe(2);
    await expect.poll(() => room.state).toBe("joined");
  });
});
