/**
 * Long-lived apps (SPAs, React Native, bots) open and close sockets and channels all day: a
 * thousand full cycles must leave neither heap growth nor anything scheduled behind.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Socket } from "../../src/node";
import { fullGc, heapUsed, startChildServer, trackTimers, type ChildServer } from "./support";

const CYCLES = Number(process.env.LEAK_CYCLES ?? 1000);
// Long enough for V8 to tier up the hot paths: a heap-snapshot diff after shorter warm-ups shows
// the residual growth is optimized code (code, deopt data), not retained client objects.
const WARMUP = 500;

/** Weak references to every socket and channel of the measured cycles: after GC none may be alive. */
let watched: Array<WeakRef<object>> | undefined;

async function cycle(url: string, n: number): Promise<void> {
  const socket = new Socket(url, { heartbeatIntervalMs: 5000, timeout: 5000 });
  socket.connect();
  const channel = socket.channel(`room:${n % 10}`, { n });
  channel.on("anything", () => undefined);
  watched?.push(new WeakRef(socket), new WeakRef(channel));
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
    watched = [];
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
    const alive = watched.filter((r) => r.deref() !== undefined).length;
    const total = watched.length;
    watched = undefined;
    console.log(
      `${CYCLES} cycles in ${elapsed} ms: heap ${(start / 1e6).toFixed(1)} MB -> ${(end / 1e6).toFixed(1)} MB after GC ` +
        `(${(growth * 100).toFixed(1)}%), ${timers.created()} timers created, ${pending.length} still scheduled, ` +
        `${alive} of ${total} sockets and channels still reachable`,
    );
    expect(pending.map((t) => `${t.kind} created at\n${t.stack}`)).toEqual([]);
    expect(growth).toBeLessThan(0.1);
    // The sharper check: nothing (a registry, a listener, a timer closure) keeps a finished socket or channel alive.
    expect(alive).toBe(0);
    // And the server saw every connection go: nothing half-open left on either side.
    expect(await server.connections()).toBe(0);
  });
});
