/**
 * A connection that goes silent without a FIN (a NAT dropping state, a laptop waking on another
 * network) must be noticed by the heartbeat within two intervals, and the client must redial at
 * once instead of waiting for a close handshake the dead peer will never answer.
 */
import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { Socket, type Channel } from "../../src/node";
import { TcpProxy } from "../support/tcp-proxy";
import { SOAK, sleep, startChaosServer, until, type ChaosServer } from "./harness";

const HEARTBEAT_MS = 150;
const CHANNELS = SOAK ? 200 : 20;
const ROUNDS = SOAK ? 20 : 3;
/** Timers may fire a little late on a loaded 2-core machine; this is scheduling slack, not protocol time. */
const TIMER_SLACK_MS = 100;

/** The slice of phoenix.js (an untyped test-only peer) this comparison uses. */
interface PhoenixSocketLike {
  connect(): void;
  disconnect(): void;
  channel(topic: string): { join(): unknown; state: string };
}
type PhoenixSocketCtor = new (url: string, opts: Record<string, unknown>) => PhoenixSocketLike;

describe("a black-holed connection", () => {
  let server: ChaosServer | undefined;
  let proxy: TcpProxy | undefined;
  let socket: Socket | undefined;

  afterEach(async () => {
    socket?.disconnect();
    await proxy?.close();
    await server?.close();
    socket = proxy = server = undefined;
  });

  it("is detected within two heartbeat intervals and every channel is joined again within 500 ms of detection", { timeout: SOAK ? 300_000 : 20_000 }, async () => {
    server = await startChaosServer();
    proxy = await TcpProxy.start({ targetPort: server.port });
    socket = new Socket(`ws://127.0.0.1:${proxy.port}/socket`, { heartbeatIntervalMs: HEARTBEAT_MS, timeout: 2000 });
    socket.connect();
    const channels: Channel[] = [];
    for (let i = 0; i < CHANNELS; i++) {
      const ch = socket.channel(`room:${i}`);
      ch.join();
      channels.push(ch);
    }
    await until(() => channels.every((c) => c.isJoined()), 5000, "the first joins");

    const s = socket;
    const p = proxy;
    const figures: Array<{ detectMs: number; rejoinMs: number; reason: string }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Start the black hole at a random point of the heartbeat cycle.
      await sleep(HEARTBEAT_MS + Math.floor(Math.random() * HEARTBEAT_MS));
      const dead = p.list();
      expect(dead.length).toBe(1);
      let detectedAt = 0;
      let reason = "";
      const off = s.onStateChange((c) => {
        if (detectedAt === 0 && c.from === "open") {
          detectedAt = Date.now();
          reason = c.reason;
        }
      });
      const start = Date.now();
      for (const c of dead) c.blackhole();

      await until(() => detectedAt > 0, HEARTBEAT_MS * 2 + 2000, "the heartbeat to notice the black hole");
      off();
      await until(() => channels.every((c) => c.isJoined()), 5000, "every channel to rejoin");
      const rejoinedAt = Date.now();
      // The dead connection was never closed by a handshake: the proxy still holds it open.
      expect(dead.every((c) => !c.closed)).toBe(true);
      figures.push({ detectMs: detectedAt - start, rejoinMs: rejoinedAt - detectedAt, reason });
      for (const c of dead) c.drop();
    }

    console.log(
      `black hole, heartbeat ${HEARTBEAT_MS} ms, ${CHANNELS} channels: ` +
        figures.map((f, i) => `round ${i + 1}: detected after ${f.detectMs} ms (${f.reason}), all rejoined ${f.rejoinMs} ms after detection`).join("; "),
    );
    for (const f of figures) {
      expect(f.reason).toMatch(/heartbeat/);
      expect(f.detectMs).toBeLessThanOrEqual(2 * HEARTBEAT_MS + TIMER_SLACK_MS);
      expect(f.rejoinMs).toBeLessThan(500);
    }
    // Every rejoin went to the server: one join per channel per round, plus the first ones.
    expect(server.joins).toBe(CHANNELS * (ROUNDS + 1));
  });

  it("is noticed by phoenix.js too, which rejoins only after the dead socket's close handshake gives up (printed for comparison)", async () => {
    server = await startChaosServer();
    proxy = await TcpProxy.start({ targetPort: server.port });
    const { Socket: PhoenixSocket } = createRequire(import.meta.url)("phoenix") as { Socket: PhoenixSocketCtor };
    let detectedAt = 0;
    const phx = new PhoenixSocket(`ws://127.0.0.1:${proxy.port}/socket`, {
      transport: WebSocket,
      heartbeatIntervalMs: HEARTBEAT_MS,
      logger: (kind: string, msg: string) => {
        if (detectedAt === 0 && kind === "transport" && /heartbeat timeout/.test(msg)) detectedAt = Date.now();
      },
    });
    try {
      phx.connect();
      const channels = Array.from({ length: CHANNELS }, (_, i) => phx.channel(`room:${i}`));
      for (const ch of channels) ch.join();
      await until(() => channels.every((c) => c.state === "joined"), 5000, "phoenix.js joins");
      await sleep(HEARTBEAT_MS);
      const start = Date.now();
      for (const c of proxy.list()) c.blackhole();
      await until(() => detectedAt > 0, HEARTBEAT_MS * 2 + 2000, "phoenix.js to notice the black hole");
      await until(() => channels.every((c) => c.state === "joined"), 10_000, "phoenix.js to rejoin");
      console.log(
        `phoenix.js, same black hole: detected after ${detectedAt - start} ms, all rejoined ${Date.now() - detectedAt} ms after detection`,
      );
    } finally {
      phx.disconnect();
    }
  });
});
