/**
 * Shared pieces of the chaos suites: a reference server whose channels tag every server push
 * with the join it belongs to, a seeded PRNG, and small waiting helpers.
 */
import { Endpoint, error, joined, noreply, ok, type ChannelSocket } from "../../src/server/index";

/** `SOAK=1` (npm run soak) raises every count. */
export const SOAK = globalThis.process?.env.SOAK === "1";

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 5 ms; rejects with `what` after `ms`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** mulberry32: a tiny seeded PRNG, so a failing chaos run can be replayed with CHAOS_SEED. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function chaosSeed(): number {
  const fixed = globalThis.process?.env.CHAOS_SEED;
  return fixed !== undefined ? Number(fixed) : Math.floor(Math.random() * 2 ** 31);
}

export interface ChaosServer {
  endpoint: Endpoint;
  port: number;
  /** Live server-side channels. */
  channels: Set<ChannelSocket>;
  /** Joins the server accepted. */
  joins: number;
  /** While > 0, this share of joins (0..1) is answered only after `slowJoinMs`: a server-side fault. */
  slowJoinShare: number;
  slowJoinMs: number;
  close(): Promise<void>;
}

/**
 * A reference server with `room:*` channels:
 * - the join replies `{jr}` (the join_ref the server saw), late when `slowJoinShare` says so;
 * - `echo` replies ok `{n}`, `fail` replies error `{n}`, `noreply` answers nothing, `crash` crashes the channel;
 * - every `tickMs`, each live channel pushes `tick` with `{jr}` = its own join_ref, so the client
 *   can tell whether a delivered message belongs to its current join.
 */
export async function startChaosServer(options: { idleTimeoutMs?: number; tickMs?: number } = {}): Promise<ChaosServer> {
  const endpoint = new Endpoint({ logger: false });
  const channels = new Set<ChannelSocket>();
  const state = { joins: 0, slowJoinShare: 0, slowJoinMs: 0 };
  endpoint.socket("/socket", {
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    maxChannels: 10_000,
    channels: {
      "room:*": {
        join(_topic, _payload, socket) {
          state.joins++;
          channels.add(socket);
          socket.onTerminate(() => channels.delete(socket));
          const reply = joined({ jr: socket.joinRef });
          if (state.slowJoinShare > 0 && Math.random() < state.slowJoinShare) {
            return new Promise((resolve) => setTimeout(() => resolve(reply), state.slowJoinMs));
          }
          return reply;
        },
        handleIn(event, payload) {
          const n = (payload as { n?: unknown } | null)?.n ?? null;
          switch (event) {
            case "echo":
              return ok({ n });
            case "fail":
              return error({ n });
            case "noreply":
              return noreply();
            default:
              throw new Error(`crash requested by ${event}`);
          }
        },
      },
    },
  });
  const port = await endpoint.listen({ host: "127.0.0.1", port: 0 });
  let seq = 0;
  const ticker =
    options.tickMs && options.tickMs > 0
      ? setInterval(() => {
          seq++;
          for (const ch of channels) ch.push("tick", { jr: ch.joinRef, seq });
        }, options.tickMs)
      : undefined;
  return {
    endpoint,
    port,
    channels,
    get joins() {
      return state.joins;
    },
    get slowJoinShare() {
      return state.slowJoinShare;
    },
    set slowJoinShare(v: number) {
      state.slowJoinShare = v;
    },
    get slowJoinMs() {
      return state.slowJoinMs;
    },
    set slowJoinMs(v: number) {
      state.slowJoinMs = v;
    },
    async close() {
      if (ticker) clearInterval(ticker);
      await endpoint.close();
    },
  };
}
