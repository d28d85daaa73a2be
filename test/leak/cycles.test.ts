/**
 * Long-lived apps (SPAs, React Native, bots) open and close sockets and channels all day: a
 * thousand full cycles must leave neither heap growth nor anything scheduled behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Socket } from "../../src/node";
import { fullGc, heapUsed, startChildServer, trackTimers, type ChildServer } from "./support";

const CYCLES = Number(process.env.LEAK_CYCLES ?? 1000);
const WARMUP = 50;

async function cycle(url: string, n: number): Promise<void> {
  const socket = new Socket(url, { heartbeatIntervalMs: 5000, timeout: 5000 });
  socket.connect();
  const channel = socket.channel(`room:${n % 10}`, { n });
  channel.on("anything", () => undefined);
  await channel.join();
  const reply = (await channel.push("echo", { n })) as { n: number };
  if (reply.n !== n) throw new Error(`cycle ${n}: echo came back as ${JSON.stringify(reply)}`);
  await channel.leave();
  await new Promise<void>((resolve) => socket.disconnect(() => resolve()));
}

describe("1,000 connect / join / push / leave / disconnect cycles", () => {
  let server: ChildServer;
  beforeAll(async () => {
    server = await startChildServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("leave the heap within 10% of where it started and no timer scheduled", { timeout: 60_000 }, async () => {
    const url = `ws://127.0.0.1:${server.port}/socket`;
    // Warm up first, tracker included: JIT code, lazily created encoders, ws internals and the
    // source maps that stack capture loads are one-off costs, not leaks.
    const warm = trackTimers();
    try {
      for (let i = 0; i < WARMUP; i++) await cycle(url, i);
    } finally {
      warm.uninstall();
    }
    await fullGc();
    const start = heapUsed();

    const timers = trackTimers();
    const began = Date.now();
    try {
      for (let i = 0; i < CYCLES; i++) await cycle(url, i);
      // Let the last close handshakes finish: ws clears its close timer when the server answers.
      const deadline = Date.now() + 3000;
      while (timers.pending().length > 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    } finally {
      timers.uninstall();
    }
    const elapsed = Date.now() - began;
    await fullGc();
    const end = heapUsed();
    const growth = (end - start) / start;
    const pending = timers.pending();
    console.log(
      `${CYCLES} cycles in ${elapsed} ms: heap ${(start / 1e6).toFixed(1)} MB -> ${(end / 1e6).toFixed(1)} MB after GC ` +
        `(${(growth * 100).toFixed(1)}%), ${timers.created()} timers created, ${pending.length} still scheduled`,
    );
    expect(pending.map((t) => `${t.kind} created at\n${t.stack}`)).toEqual([]);
    expect(growth).toBeLessThan(0.1);
    // And the server saw every connection go: nothing half-open left on either side.
    expect(await server.connections()).toBe(0);
  });
});
