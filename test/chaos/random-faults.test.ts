/**
 * The client against the reference server through a fault-injecting TCP proxy: random drops,
 * black holes, delays, throttling and mid-frame cuts while many channels push steadily.
 * Afterwards every channel is joined, every push resolved exactly once, and no server message
 * that belonged to an earlier join reached the app. Replay a run with CHAOS_SEED=<seed>.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Socket, type Channel } from "../../src/node";
import { TcpProxy } from "../support/tcp-proxy";
import { SOAK, chaosSeed, prng, sleep, startChaosServer, until, type ChaosServer } from "./harness";

const FAULTS = SOAK ? 1000 : 100;
const CHANNELS = SOAK ? 200 : 50;
const HEARTBEAT_MS = 200;
/** Shorter than a slow join, so slow joins time out and are retried on the same connection. */
const JOIN_TIMEOUT_MS = 250;
const PUSH_TIMEOUT_MS = 700;
const PUSH_EVERY_MS = 4;

/**
 * The five network faults, plus one on the server: slow joins. A join answered after the client
 * gave up on it is followed by pushes for that superseded join: the stale messages the client must drop.
 */
type Fault = "drop" | "blackhole" | "delay" | "throttle" | "cut" | "slowjoin";
const FAULT_KINDS: Fault[] = ["drop", "blackhole", "delay", "throttle", "cut", "slowjoin"];

interface PushRecord {
  id: number;
  topic: string;
  event: string;
  outcomes: string[];
  wrongReply: boolean;
  /** What a mismatched reply carried, for the failure message. */
  wrongWhat?: string;
}

describe("under 100 random network faults", () => {
  let server: ChaosServer | undefined;
  let proxy: TcpProxy | undefined;
  let socket: Socket | undefined;
  let pusher: ReturnType<typeof setInterval> | undefined;

  afterEach(async () => {
    if (pusher) clearInterval(pusher);
    socket?.disconnect();
    await proxy?.close();
    await server?.close();
    socket = proxy = server = pusher = undefined;
  });

  it("every channel ends joined, every push resolves exactly once, and no stale message reaches the app", { timeout: SOAK ? 600_000 : 60_000 }, async () => {
    const seed = chaosSeed();
    const random = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo));
    console.log(`random faults: CHAOS_SEED=${seed}`);

    server = await startChaosServer({ tickMs: 25 });
    proxy = await TcpProxy.start({ targetPort: server.port });
    socket = new Socket(`ws://127.0.0.1:${proxy.port}/socket`, {
      heartbeatIntervalMs: HEARTBEAT_MS,
      timeout: PUSH_TIMEOUT_MS,
      rejoinAfterMs: () => 100,
    });
    let opens = 0;
    socket.onOpen(() => opens++);
    socket.connect();

    // Deliveries of server pushes: each carries the join_ref of the server channel that sent it.
    let ticks = 0;
    let stale = 0;
    const staleExamples: string[] = [];
    const ticksByTopic = new Map<string, number>();
    const channels: Channel[] = [];
    for (let i = 0; i < CHANNELS; i++) {
      const ch = socket.channel(`room:${i}`);
      ch.on("tick", (payload, _ref, joinRef) => {
        ticks++;
        ticksByTopic.set(ch.topic, (ticksByTopic.get(ch.topic) ?? 0) + 1);
        const jr = (payload as { jr: string }).jr;
        if (jr !== ch.joinRef() || joinRef !== ch.joinRef() || !ch.isJoined()) {
          stale++;
          if (staleExamples.length < 5) staleExamples.push(`${ch.topic}: message for join ${jr} delivered while the channel is ${ch.state} with join ${String(ch.joinRef())}`);
        }
      });
      ch.join(JOIN_TIMEOUT_MS);
      channels.push(ch);
    }
    await until(() => channels.every((c) => c.isJoined()), 5000, "the first joins");
    // How many server pushes arrived on the wire for a join that was no longer current: the
    // client must have filtered every one of them (checked by the binding above).
    let staleOnWire = 0;
    const byTopic = new Map(channels.map((c) => [c.topic, c]));
    socket.onMessage((msg) => {
      if (msg.event === "tick" && msg.join_ref !== byTopic.get(msg.topic)?.joinRef()) staleOnWire++;
    });

    // A steady stream of pushes, each watched for every possible outcome.
    const pushes: PushRecord[] = [];
    let unmatched = 0;
    let nextId = 0;
    pusher = setInterval(() => {
      const ch = pick(channels);
      const r = random();
      const event = r < 0.85 ? "echo" : r < 0.95 ? "fail" : r < 0.99 ? "noreply" : "crash";
      const rec: PushRecord = { id: nextId++, topic: ch.topic, event, outcomes: [], wrongReply: false };
      pushes.push(rec);
      const check = (resp: unknown) => {
        // A push that reaches the server after its channel crashed is answered "unmatched topic": a real error reply.
        if ((resp as { reason?: unknown } | null)?.reason === "unmatched topic") {
          unmatched++;
          return;
        }
        if ((resp as { n?: unknown } | null)?.n !== rec.id) {
          rec.wrongReply = true;
          rec.wrongWhat = `push #${rec.id} "${event}" on ${ch.topic} (ref ${String(push.ref)}, channel ${ch.state}, join ${String(ch.joinRef())}) resolved with ${JSON.stringify(resp)}`;
        }
      };
      const push = ch.push(event, { n: rec.id });
      push
        .receive("ok", (resp) => {
          rec.outcomes.push("ok");
          check(resp);
        })
        .receive("error", (resp) => {
          rec.outcomes.push("error");
          check(resp);
        })
        .receive("timeout", () => rec.outcomes.push("timeout"))
        .receive("dropped", () => rec.outcomes.push("dropped"));
    }, PUSH_EVERY_MS);

    const p = proxy;
    const applied: Record<Fault, number> = { drop: 0, blackhole: 0, delay: 0, throttle: 0, cut: 0, slowjoin: 0 };
    const srv = server;
    for (let i = 0; i < FAULTS; i++) {
      const fault = pick(FAULT_KINDS);
      applied[fault]++;
      const hold = between(40, 260);
      switch (fault) {
        case "drop":
          p.dropAll();
          await sleep(hold);
          break;
        case "blackhole":
          for (const c of p.list()) c.blackhole();
          await sleep(hold);
          break;
        case "delay":
          p.delay(between(20, 400));
          await sleep(hold);
          p.delay(0);
          break;
        case "throttle":
          p.throttle(between(500, 20_000));
          await sleep(hold);
          p.throttle(0);
          break;
        case "cut":
          p.cutAll(between(1, 60), pick(["up", "down", "both"] as const));
          await sleep(hold);
          break;
        case "slowjoin":
          // Rejoins happen on reconnect: force one so there are joins to slow down.
          srv.slowJoinShare = 0.3;
          srv.slowJoinMs = between(JOIN_TIMEOUT_MS + 20, JOIN_TIMEOUT_MS + 120);
          if (random() < 0.5) p.dropAll();
          await sleep(hold + 300);
          srv.slowJoinShare = 0;
          break;
      }
    }
    // Connections the client abandoned in a black hole would linger on the server until its idle
    // timeout and close handshake run out; cut them so the server-side count below is about the live one.
    for (const c of p.list()) if (c.isBlackholed) c.drop();
    p.heal();
    clearInterval(pusher);
    pusher = undefined;
    const healedAt = Date.now();

    await until(() => channels.every((c) => c.isJoined()), 15_000, "every channel to be joined after the faults");
    const joinedAfterMs = Date.now() - healedAt;
    // Buffered pushes keep their own timeout, so every push has settled one timeout after the last one was made.
    await sleep(PUSH_TIMEOUT_MS + 300);

    // Joined for real, end to end: each channel still receives its server's messages.
    const before = new Map(ticksByTopic);
    await until(
      () => channels.every((c) => (ticksByTopic.get(c.topic) ?? 0) > (before.get(c.topic) ?? 0)),
      3000,
      "every channel to receive server pushes after healing",
    );
    // One live connection on the server, holding exactly one channel per topic: no duplicate joins left behind.
    const s = server;
    await until(() => s.endpoint.connectionCount === 1, 3000, "the server to hold only the live connection").catch((e: Error) => {
      const conns = p.list().map((c) => `#${c.id} up ${c.bytes.up} down ${c.bytes.down}`);
      throw new Error(`${e.message}: server has ${s.endpoint.connectionCount}, proxy has ${conns.join(", ")}`);
    });
    const perTopic = channels.map((c) => s.endpoint.subscribers(c.topic));

    const counts = { ok: 0, error: 0, timeout: 0, dropped: 0, lost: 0, twice: 0, wrongReply: 0 };
    for (const rec of pushes) {
      if (rec.outcomes.length === 0) counts.lost++;
      if (rec.outcomes.length > 1) counts.twice++;
      if (rec.wrongReply) counts.wrongReply++;
      for (const o of rec.outcomes) counts[o as "ok" | "error" | "timeout" | "dropped"]++;
    }
    console.log(
      `random faults (seed ${seed}): ${FAULTS} faults ${JSON.stringify(applied)}, ${CHANNELS} channels, ${opens} connections opened, ` +
        `${server.joins} server joins; ${pushes.length} pushes: ${counts.ok} ok, ${counts.error} error (${unmatched} of them "unmatched topic"), ${counts.timeout} timeout, ` +
        `${counts.dropped} dropped, ${counts.lost} lost, ${counts.twice} resolved twice, ${counts.wrongReply} with another push's reply; ` +
        `${ticks} server pushes delivered, ${stale} from a stale join delivered to the app (${staleOnWire} stale ones arrived on the wire and were dropped); all joined ${joinedAfterMs} ms after healing`,
    );

    expect(pushes.filter((r) => r.wrongReply).slice(0, 5).map((r) => r.wrongWhat)).toEqual([]);
    expect(staleExamples).toEqual([]);
    expect(stale).toBe(0);
    expect(counts.lost).toBe(0);
    expect(counts.twice).toBe(0);
    expect(counts.wrongReply).toBe(0);
    expect(counts.dropped).toBe(0);
    expect(counts.ok + counts.error + counts.timeout).toBe(pushes.length);
    expect(counts.ok).toBeGreaterThan(0);
    expect(channels.every((c) => c.isJoined())).toBe(true);
    expect(perTopic.every((n) => n === 1)).toBe(true);
  });
});
