/**
 * Presence end to end (issue 5 item 3): three clients on `presence:lobby` — two of ours and the
 * official phoenix.js client, each with its own Presence — join, one updates its meta, one is
 * dropped by killing its connection (no leave). After every step each live client has applied
 * exactly one more state/diff (counted in onSync, never slept for) and every client's `list()`
 * equals every other's and the server's own list.
 * Also: the dropped client on LongPoll (the server notices by session timeout), one key on two
 * devices, and each client kind reconnecting by itself (its list rebuilt from the new state).
 * Real WebSockets and HTTP on 127.0.0.1, a custom Endpoint whose `presence:*` channel also
 * answers "update".
 */
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { LongPoll as OurLongPoll, Presence as OurPresence, Socket as OurSocket } from "../../src/node";
import { Endpoint } from "../../src/server/endpoint";
import { presenceChannel } from "../../src/server/example-app";
import { Presence as ServerPresence } from "../../src/server/presence";
import { error, ok, type ChannelDef, type ChannelSocket } from "../../src/server/types";

// ------------------------------------------------------------------ the slice of the API both clients share

interface PushLike {
  receive(status: string, cb: (response: unknown) => void): PushLike;
}
interface ChannelLike {
  join(timeout?: number): PushLike;
  push(event: string, payload: unknown, timeout?: number): PushLike;
  on(event: string, cb: (payload: unknown) => void): number;
  off(event: string, ref?: number): void;
  joinRef(): string | null | undefined;
}
interface SocketLike {
  conn: unknown;
  connect(): void;
  disconnect(cb?: () => void, code?: number): void;
  channel(topic: string, params?: object): ChannelLike;
}
interface Entry {
  metas: Array<Record<string, unknown>>;
}
interface PresenceLike {
  onSync(cb: () => void): void;
  list<T>(chooser: (key: string, entry: Entry) => T): T[];
}

// phoenix ships no type declarations: import it untyped and describe the part we use.
const phoenixModule = "phoenix";
const Phoenix = (await import(/* @vite-ignore */ phoenixModule)) as {
  Socket: new (url: string, opts: Record<string, unknown>) => SocketLike;
  Presence: new (channel: ChannelLike) => PresenceLike;
};

type Kind = "ours" | "ours on LongPoll" | "phoenix.js";

/** One client: its socket, channel and Presence, with a count of the syncs it applied. */
interface Client {
  readonly name: string;
  readonly kind: Kind;
  readonly socket: SocketLike;
  readonly channel: ChannelLike;
  syncs: number;
  /** This client's presence list, keys with their metas, sorted by key. */
  list(): Array<{ key: string; metas: Entry["metas"] }>;
  /** Resolves on the next onSync after this call. */
  nextSync(): Promise<void>;
  /** Resolves on the first onSync after this call after which `check()` holds. */
  syncedWhen(check: () => boolean): Promise<void>;
}

// ------------------------------------------------------------------ fixtures

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TOPIC = "presence:lobby";

/**
 * The example app's `presence:*` join (track `user_id` with `{name}`, push `presence_state`),
 * plus an "update" event that merges the payload into this channel's meta.
 */
async function startServer(): Promise<{ port: number; presence: ServerPresence }> {
  const endpoint = new Endpoint({ logger: false });
  const presence = new ServerPresence(endpoint);
  const base = presenceChannel(presence);
  const keys = new WeakMap<ChannelSocket, string>();
  const lobby: ChannelDef = {
    join(topic, payload, socket) {
      keys.set(socket, String((payload as { user_id?: unknown }).user_id));
      return base.join(topic, payload, socket);
    },
    handleIn(event, payload, socket) {
      if (event !== "update") return base.handleIn!(event, payload, socket);
      const result = presence.update(socket, keys.get(socket) ?? "", (old) => ({ ...old, ...(payload as object) }));
      return result.ok ? ok({ ref: result.ref }) : error({ reason: result.reason });
    },
  };
  // A long-poll session not polled for 1 s ends, like a dropped WebSocket. Not much shorter: on a
  // loaded machine a live client's next poll can come hundreds of ms after the previous answer,
  // and a session that expires under it answers 410 and costs a reconnect mid-test.
  endpoint.socket("/socket", { channels: { "presence:*": lobby }, longpoll: { windowMs: 500, sessionTimeoutMs: 1000 } });
  const port = await endpoint.listen({ port: 0 });
  cleanups.push(() => endpoint.close());
  return { port, presence };
}

// A dropped client must stay gone for the test: it reconnects only after a minute.
const OPTS = { timeout: 3000, rejoinAfterMs: () => 60_000, reconnectAfterMs: () => 60_000, heartbeatIntervalMs: 30_000 };

function makeClient(kind: Kind, userId: string, port: number, name = userId, options: Record<string, unknown> = OPTS): Client {
  const url = `ws://127.0.0.1:${port}/socket`;
  const socket =
    kind === "ours"
      ? (new OurSocket(url, options) as unknown as SocketLike)
      : kind === "ours on LongPoll"
        ? (new OurSocket(url, { ...options, transport: OurLongPoll }) as unknown as SocketLike)
        : new Phoenix.Socket(url, { transport: WebSocket, ...options });
  cleanups.push(() => socket.disconnect());
  socket.connect();
  const channel = socket.channel(TOPIC, { user_id: userId });
  const presence: PresenceLike =
    kind === "phoenix.js" ? new Phoenix.Presence(channel) : (new OurPresence(channel) as unknown as PresenceLike);
  let waiters: Array<() => void> = [];
  const client: Client = {
    name,
    kind,
    socket,
    channel,
    syncs: 0,
    list: () =>
      presence
        .list((key, entry) => ({ key, metas: entry.metas }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    nextSync: () => new Promise<void>((resolve) => waiters.push(resolve)),
    syncedWhen: (check) =>
      new Promise<void>((resolve) => {
        const wait = (): void => {
          waiters.push(() => (check() ? resolve() : wait()));
        };
        wait();
      }),
  };
  presence.onSync(() => {
    client.syncs++;
    const ready = waiters;
    waiters = [];
    for (const resolve of ready) resolve();
  });
  return client;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The push's outcome. Bounded: a join in flight when its transport fails gets no reply and no
 * timeout (phoenix.js semantics, the rejoin answers it), and the dropped client rejoins late.
 */
function reply(push: PushLike): Promise<[string, unknown]> {
  return within(replyOf(push), 5000, "reply");
}

function replyOf(push: PushLike): Promise<[string, unknown]> {
  return new Promise((resolve) => {
    push.receive("ok", (r) => resolve(["ok", r]));
    push.receive("error", (r) => resolve(["error", r]));
    push.receive("timeout", () => resolve(["timeout", undefined]));
  });
}

/** The server's truth in the same shape as {@link Client.list}. */
function serverList(presence: ServerPresence): ReturnType<Client["list"]> {
  return Object.entries(presence.list(TOPIC))
    .map(([key, entry]) => ({ key, metas: entry.metas as Entry["metas"] }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Runs `step`, waits until each of `live` has applied one more state or diff, and checks that
 * it was exactly one and that all lists (and the server's) are now the same.
 */
async function stepConverges(
  live: Client[],
  presence: ServerPresence,
  what: string,
  step: () => Promise<void> | void,
  timeoutMs = 3000,
) {
  const before = live.map((c) => c.syncs);
  const synced = Promise.all(live.map((c) => c.nextSync()));
  await step();
  await within(synced, timeoutMs, `${what}: every client syncs`);
  expect(live.map((c) => c.syncs), `${what}: one state/diff per client`).toEqual(before.map((n) => n + 1));
  const expected = serverList(presence);
  for (const c of live) expect(c.list(), `${what}: ${c.name} (${c.kind})`).toEqual(expected);
  return expected;
}

function killConnection(client: Client): void {
  if (client.kind === "ours on LongPoll") {
    // Polling just stops (no phx_leave): the server notices when the session times out.
    const lp = client.socket.conn;
    if (!(lp instanceof OurLongPoll)) throw new Error(`${client.name}: not on LongPoll`);
    lp.close();
    return;
  }
  // `ws` in both clients: terminate() destroys the TCP socket, no close frame, no phx_leave.
  const conn = client.socket.conn as { terminate?: () => void } | null;
  if (!conn?.terminate) throw new Error(`${client.name}: no ws connection to kill`);
  conn.terminate();
}

// ------------------------------------------------------------------ the scenario

describe.each<[Kind]>([["ours"], ["phoenix.js"], ["ours on LongPoll"]])("presence with three clients, the dropped one is %s", (droppedKind) => {
  it("joins, a meta update and a killed connection all converge: every list() equal after one diff each", async () => {
    const { port, presence } = await startServer();
    // The dropped client is joined second, so it is neither the first nor the last to join.
    const kinds: Kind[] = droppedKind === "phoenix.js" ? ["ours", "phoenix.js", "ours"] : ["phoenix.js", droppedKind, "ours"];
    const names = ["alice", "bob", "carol"];
    const clients: Client[] = [];

    for (let i = 0; i < 3; i++) {
      const name = names[i] as string;
      const joiner = makeClient(kinds[i] as Kind, name, port);
      clients.push(joiner);
      const after = await stepConverges(clients, presence, `${name} joins`, async () => {
        expect(await reply(joiner.channel.join())).toEqual(["ok", {}]);
      });
      expect(after.map((e) => e.key)).toEqual(names.slice(0, i + 1));
      expect(after.find((e) => e.key === name)?.metas).toEqual([{ name, phx_ref: expect.any(String) }]);
    }
    const [first, dropped, last] = clients as [Client, Client, Client];
    expect(dropped.kind).toBe(droppedKind);
    const carolRef = serverList(presence).find((e) => e.key === "carol")?.metas[0]?.phx_ref;

    // carol changes her status: one diff (her old meta leaves, the new one joins with phx_ref_prev).
    const updated = await stepConverges(clients, presence, "carol updates", async () => {
      const [status, response] = await reply(last.channel.push("update", { status: "away" }));
      expect(status).toBe("ok");
      expect(response).toEqual({ ref: expect.any(String) });
    });
    expect(updated.find((e) => e.key === "carol")?.metas).toEqual([
      { name: "carol", status: "away", phx_ref: expect.any(String), phx_ref_prev: carolRef },
    ]);
    expect(updated.find((e) => e.key === "carol")?.metas[0]?.phx_ref).not.toBe(carolRef);

    // bob's connection dies without a leave: the server untracks him; the two others converge.
    const afterDrop = await stepConverges([first, last], presence, "bob's connection is killed", () => killConnection(dropped), 6000);
    expect(afterDrop.map((e) => e.key)).toEqual(["alice", "carol"]);
    expect(afterDrop).toEqual(updated.filter((e) => e.key !== "bob"));
  });
});

describe("presence with one key on two devices", () => {
  it("dave on two clients shows two metas everywhere; killing one device's connection leaves his other meta", async () => {
    const { port, presence } = await startServer();
    const alice = makeClient("ours", "alice", port);
    const daveOurs = makeClient("ours", "dave", port, "dave (phx-channels)");
    const davePhx = makeClient("phoenix.js", "dave", port, "dave (phoenix.js)");
    const clients: Client[] = [];
    for (const joiner of [alice, daveOurs, davePhx]) {
      clients.push(joiner);
      await stepConverges(clients, presence, `${joiner.name} joins`, async () => {
        expect(await reply(joiner.channel.join())).toEqual(["ok", {}]);
      });
    }
    const both = serverList(presence).find((e) => e.key === "dave")?.metas ?? [];
    expect(both).toHaveLength(2);
    expect(both.map((m) => m.name)).toEqual(["dave", "dave"]);
    expect(new Set(both.map((m) => m.phx_ref)).size).toBe(2);

    // The phoenix.js device updates its meta: only that meta changes, for everyone.
    const updated = await stepConverges(clients, presence, "dave (phoenix.js) updates", async () => {
      expect((await reply(davePhx.channel.push("update", { device: "phone" })))[0]).toBe("ok");
    });
    const daveMetas = updated.find((e) => e.key === "dave")?.metas ?? [];
    expect(daveMetas).toHaveLength(2);
    expect(daveMetas.filter((m) => m.device === "phone")).toHaveLength(1);

    const afterDrop = await stepConverges([alice, davePhx], presence, "dave (phx-channels) is killed", () => killConnection(daveOurs));
    expect(afterDrop.map((e) => e.key)).toEqual(["alice", "dave"]);
    expect(afterDrop.find((e) => e.key === "dave")?.metas).toEqual([{ name: "dave", device: "phone", phx_ref: expect.any(String), phx_ref_prev: expect.any(String) }]);
  });
});

describe.each<[Kind]>([["ours"], ["phoenix.js"], ["ours on LongPoll"]])("presence across a reconnect (%s reconnects)", (kind) => {
  it("a client whose connection is killed comes back by itself: its own list is rebuilt from the new state, and everyone converges", async () => {
    const { port, presence } = await startServer();
    const fast = { ...OPTS, reconnectAfterMs: () => 20, rejoinAfterMs: () => 20 };
    const observers = [makeClient("ours", "alice", port), makeClient("phoenix.js", "carol", port)];
    const comer = makeClient(kind, "bob", port, "bob", fast);
    const clients: Client[] = [];
    for (const joiner of [...observers, comer]) {
      clients.push(joiner);
      await stepConverges(clients, presence, `${joiner.name} joins`, async () => {
        expect(await reply(joiner.channel.join())).toEqual(["ok", {}]);
      });
    }
    const bobRef = serverList(presence).find((e) => e.key === "bob")?.metas[0]?.phx_ref;
    expect(bobRef).toEqual(expect.any(String));

    // bob must leave and come back with a new phx_ref; every client, bob included, must then
    // show exactly the server's list (bob's Presence must not keep his old meta beside the new one).
    const backWithNewRef = (): boolean => {
      const metas = serverList(presence).find((e) => e.key === "bob")?.metas ?? [];
      return metas.length === 1 && metas[0]?.phx_ref !== bobRef;
    };
    const converged = (c: Client) => () => backWithNewRef() && JSON.stringify(c.list()) === JSON.stringify(serverList(presence));
    const allBack = Promise.all(clients.map((c) => c.syncedWhen(converged(c))));
    killConnection(comer);
    await within(allBack, 8000, "bob is back in every list");
    const expected = serverList(presence);
    expect(expected.map((e) => e.key)).toEqual(["alice", "bob", "carol"]);
    for (const c of clients) expect(c.list(), c.name).toEqual(expected);
  });
});
