/**
 * Pushes that never get an answer must not pile up: each one's timeout fires once, and nothing
 * of it stays in the channel's bindings, the socket's reply map, the push buffer or the timers.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PushError } from "../../src/errors";
import { Socket, type Channel } from "../../src/node";
import { startChildServer, trackTimers, type ChildServer, type TimerTracker } from "./support";

const PUSHES = 10_000;
const TIMEOUT_MS = 200;

/** Internal bookkeeping that must return to empty (phoenix.js-compatible names plus our reply map). */
function leftovers(socket: Socket, channel: Channel) {
  const internals = socket as unknown as { _replies?: Map<string, unknown> };
  return {
    bindings: channel.bindings.length,
    replyBindings: channel.bindings.filter((b) => b.event.startsWith("chan_reply_")).length,
    pushBuffer: channel.pushBuffer.length,
    sendBuffer: socket.sendBuffer.length,
    replies: internals._replies?.size ?? 0,
  };
}

async function settleAll(pushes: Array<PromiseLike<unknown>>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await Promise.all(
    pushes.map((p) =>
      Promise.resolve(p).then(
        () => void (counts.ok = (counts.ok ?? 0) + 1),
        (e: unknown) => {
          const status = e instanceof PushError ? e.status : `other: ${String(e)}`;
          counts[status] = (counts[status] ?? 0) + 1;
        },
      ),
    ),
  );
  return counts;
}

describe("10,000 pushes that time out", () => {
  let server: ChildServer;
  let socket: Socket | undefined;
  let timers: TimerTracker | undefined;

  beforeAll(async () => {
    server = await startChildServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(() => {
    timers?.uninstall();
    socket?.disconnect();
    timers = socket = undefined;
  });

  it("sent to a channel that never answers leave no bindings, replies or timers behind", { timeout: 60_000 }, async () => {
    socket = new Socket(`ws://127.0.0.1:${server.port}/socket`, { heartbeatIntervalMs: 60_000 });
    socket.connect();
    const channel = socket.channel("room:silent");
    channel.on("news", () => undefined);
    await channel.join();
    const before = leftovers(socket, channel);

    timers = trackTimers();
    const pushes: Array<PromiseLike<unknown>> = [];
    for (let i = 0; i < PUSHES; i++) pushes.push(channel.push("noreply", { i }, TIMEOUT_MS));
    const counts = await settleAll(pushes);
    const pending = timers.pending();
    const after = leftovers(socket, channel);
    console.log(`${PUSHES} sent pushes: ${JSON.stringify(counts)}; before ${JSON.stringify(before)}, after ${JSON.stringify(after)}; ${timers.created()} timers created, ${pending.length} pending`);

    expect(counts).toEqual({ timeout: PUSHES });
    expect(after).toEqual(before);
    expect(after.replies).toBe(0);
    expect(after.replyBindings).toBe(0);
    expect(pending.filter((t) => t.kind === "timeout" && /push/i.test(t.stack))).toEqual([]);
    // The channel still works afterwards.
    await expect(channel.push("echo", { ok: 1 })).resolves.toEqual({ ok: 1 });
  });

  it("buffered while the socket is down leave no buffered pushes, bindings or timers behind", { timeout: 60_000 }, async () => {
    socket = new Socket(`ws://127.0.0.1:${server.port}/socket`, { heartbeatIntervalMs: 60_000 });
    socket.connect();
    const channel = socket.channel("room:buffered");
    await channel.join();
    const before = leftovers(socket, channel);
    socket.disconnect();

    timers = trackTimers();
    const pushes: Array<PromiseLike<unknown>> = [];
    for (let i = 0; i < PUSHES; i++) pushes.push(channel.push("echo", { i }, TIMEOUT_MS));
    expect(channel.pushBuffer.length + socket.sendBuffer.length).toBeGreaterThan(0);
    const counts = await settleAll(pushes);
    const pending = timers.pending();
    const after = leftovers(socket, channel);
    console.log(`${PUSHES} buffered pushes: ${JSON.stringify(counts)}; before ${JSON.stringify(before)}, after ${JSON.stringify(after)}; ${pending.length} timers pending`);

    expect(counts).toEqual({ timeout: PUSHES });
    expect(after).toEqual(before);
    expect(pending).toEqual([]);
  });

  it("that were buffered do not take the places of new pushes in a bounded buffer", { timeout: 10_000 }, async () => {
    socket = new Socket(`ws://127.0.0.1:${server.port}/socket`, { heartbeatIntervalMs: 60_000, maxBuffered: 10, onOverflow: "reject" });
    socket.connect();
    const channel = socket.channel("room:bounded");
    await channel.join();
    socket.disconnect();
    const dead = Array.from({ length: 10 }, (_, i) => channel.push("echo", { i }, 50));
    expect(await settleAll(dead)).toEqual({ timeout: 10 });
    // Every earlier push is over: the buffer holds nothing alive, so this one must be kept, not dropped.
    const fresh = channel.push("echo", { fresh: true }, 2000);
    socket.connect();
    await expect(fresh).resolves.toEqual({ fresh: true });
  });
});
