// The server under test, in its own process (run with --expose-gc):
//   node server-child.mjs ours   — phx-channels' reference server (.bench/server.mjs), socket at /socket
//   node server-child.mjs bare   — a bare `ws` server doing only the JSON: joins, replies, fan-out
// Sends {type: "listening", port} once bound, then answers IPC commands:
//   {cmd: "rss"}                      → {rss, heapUsed} after a full GC
//   {cmd: "broadcast", topic, n}      → sends n broadcasts to `topic`; answers {loopMs}
//   {cmd: "exit"}                     → closes everything and exits
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { WebSocketServer } from "ws";
import { OUT_DIR } from "./lib.mjs";

const kind = process.argv[2];
const gc = globalThis.gc ?? (() => {});

async function startOurs() {
  const file = path.join(OUT_DIR, "server.mjs");
  if (!existsSync(file)) throw new Error("not built: src/server/index.ts");
  const { Endpoint } = await import(pathToFileURL(file).href);
  if (typeof Endpoint !== "function") throw new Error("not built: src/server/index.ts has no Endpoint export");
  const endpoint = new Endpoint({ logger: false });
  endpoint.socket("/socket", {
    connect: () => ({}),
    longpoll: true,
    idleTimeoutMs: 600_000,
    channels: {
      "room:*": {
        join: () => ({ ok: true }),
        handleIn: (_event, payload) => ({ reply: "ok", response: payload }),
      },
    },
  });
  const port = await endpoint.listen({ host: "127.0.0.1", port: 0 });
  return {
    port,
    broadcast: (topic, event, payload) => endpoint.broadcast(topic, event, payload),
    close: () => endpoint.close(),
  };
}

function startBare() {
  return new Promise((resolve) => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
    const topics = new Map();
    wss.on("connection", (ws) => {
      const joined = new Set();
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        let msg;
        try {
          msg = JSON.parse(data);
        } catch {
          return;
        }
        if (!Array.isArray(msg) || msg.length !== 5) return;
        const [joinRef, ref, topic, event, payload] = msg;
        if (event === "phx_join") {
          let subs = topics.get(topic);
          if (!subs) topics.set(topic, (subs = new Set()));
          subs.add(ws);
          joined.add(topic);
          ws.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response: {} }]));
        } else {
          ws.send(JSON.stringify([joinRef, ref, topic, "phx_reply", { status: "ok", response: payload }]));
        }
      });
      ws.on("close", () => {
        for (const t of joined) topics.get(t)?.delete(ws);
      });
      ws.on("error", () => {});
    });
    wss.on("listening", () =>
      resolve({
        port: wss.address().port,
        broadcast(topic, event, payload) {
          const subs = topics.get(topic);
          if (!subs) return;
          const text = JSON.stringify([null, null, topic, event, payload]);
          for (const ws of subs) ws.send(text);
        },
        close: () =>
          new Promise((r) => {
            for (const c of wss.clients) c.terminate();
            wss.close(() => r());
          }),
      }),
    );
  });
}

try {
  const server = kind === "ours" ? await startOurs() : await startBare();
  process.on("message", async (msg) => {
    const { id } = msg ?? {};
    try {
      if (msg.cmd === "rss") {
        gc();
        gc();
        await new Promise((r) => setTimeout(r, 200));
        const m = process.memoryUsage();
        process.send({ id, value: { rss: m.rss, heapUsed: m.heapUsed } });
      } else if (msg.cmd === "broadcast") {
        // The send loop's own time: encoding and handing frames to the sockets, without the load
        // generators' cost of receiving them.
        const t0 = performance.now();
        for (let i = 0; i < msg.n; i++) server.broadcast(msg.topic, "tick", { i, body: "fan-out benchmark" });
        process.send({ id, value: { ok: true, loopMs: performance.now() - t0 } });
      } else if (msg.cmd === "exit") {
        await Promise.race([server.close(), new Promise((r) => setTimeout(r, 2000))]);
        process.exit(0);
      }
    } catch (err) {
      process.send({ id, type: "error", message: String(err?.stack ?? err) });
    }
  });
  process.on("disconnect", () => process.exit(0));
  process.send({ type: "listening", port: server.port });
} catch (err) {
  process.send({ type: "error", message: String(err?.message ?? err) }, () => process.exit(1));
}
