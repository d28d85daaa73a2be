import { describe, expect, it, vi } from "vitest";
import { Socket } from "../../src/socket";
import { FALLBACK_STORAGE_KEY } from "../../src/protocol";
import type { SocketConnectionState, StateChange, StorageLike, TransportConstructor } from "../../src/types";
import { Fake, FakeConn, conn, useFakeTransport } from "./support/fake-conn";

class FakeLongPoll extends FakeConn {
  skipHeartbeat = true;
}
const LP = FakeLongPoll as unknown as TransportConstructor;

function memoryStorage(): StorageLike & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

useFakeTransport();

describe("Fresh credentials", () => {
  it("awaits async params and authToken before every connect attempt", async () => {
    let n = 0;
    const socket = new Socket("ws://h/socket", {
      transport: Fake,
      params: async () => ({ attempt: ++n }),
      authToken: async () => `tok${n}`,
    });
    socket.connect();
    socket.connect();
    expect(FakeConn.all).toHaveLength(0);
    expect(socket.state).toBe("connecting");
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeConn.all).toHaveLength(1);
    expect(conn().url).toContain("attempt=1");
    expect(conn().protocols).toEqual(["phoenix", `base64url.bearer.phx.${btoa("tok1").replace(/=/g, "")}`]);
    conn().open();
    conn().serverClose();
    await vi.advanceTimersByTimeAsync(10);
    expect(FakeConn.all).toHaveLength(2);
    expect(conn().url).toContain("attempt=2");
    expect(conn().protocols?.[1]).toBe(`base64url.bearer.phx.${btoa("tok2").replace(/=/g, "")}`);
    socket.disconnect();
  });

  it("retries with backoff when the credentials provider fails", async () => {
    let fail = true;
    const errors: unknown[] = [];
    const socket = new Socket("ws://h/socket", {
      transport: Fake,
      authToken: () => (fail ? Promise.reject(new Error("refresh failed")) : Promise.resolve("ok")),
    });
    socket.onError((e) => errors.push(e));
    socket.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(errors).toHaveLength(1);
    expect(socket.state).toBe("reconnecting");
    fail = false;
    await vi.advanceTimersByTimeAsync(10);
    expect(FakeConn.all).toHaveLength(1);
    socket.disconnect();
  });

  it("a disconnect() while credentials are pending wins", async () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, params: async () => ({}) });
    socket.connect();
    socket.disconnect();
    await vi.advanceTimersByTimeAsync(100);
    expect(FakeConn.all).toHaveLength(0);
  });

  it("runs and awaits beforeReconnect before each reconnect", async () => {
    const seen: number[] = [];
    let release: () => void = () => {};
    const socket = new Socket("ws://h/socket", {
      transport: Fake,
      beforeReconnect: ({ attempt }) => {
        seen.push(attempt);
        return new Promise<void>((r) => (release = r));
      },
    });
    socket.connect();
    expect(seen).toEqual([]);
    conn().open();
    conn().serverClose();
    await vi.advanceTimersByTimeAsync(10);
    expect(seen).toEqual([1]);
    expect(FakeConn.all).toHaveLength(1);
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(FakeConn.all).toHaveLength(2);
    socket.disconnect();
  });

  it("reconnects even when beforeReconnect throws or rejects, reporting it", async () => {
    let mode: "throw" | "reject" = "throw";
    const errors: unknown[] = [];
    const socket = new Socket("ws://h/socket", {
      transport: Fake,
      beforeReconnect: () => {
        if (mode === "throw") throw new Error("sync");
        return Promise.reject(new Error("async"));
      },
    });
    socket.onError((e) => errors.push(e));
    socket.connect();
    conn().open();
    conn().serverClose();
    await vi.advanceTimersByTimeAsync(10);
    expect(FakeConn.all).toHaveLength(2);
    mode = "reject";
    conn().open();
    conn().serverClose();
    await vi.advanceTimersByTimeAsync(10);
    expect(FakeConn.all).toHaveLength(3);
    expect(errors.map((e) => (e as Error).message)).toEqual(["sync", "async"]);
    socket.disconnect();
  });
});

describe("Visible states", () => {
  it("reports each transition with reason, attempt and next retry delay", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    const changes: StateChange<SocketConnectionState>[] = [];
    socket.onStateChange((c) => changes.push(c));
    socket.connect();
    conn().open();
    conn().serverClose();
    vi.advanceTimersByTime(10);
    conn().serverClose();
    socket.disconnect();
    expect(changes.map((c) => `${c.from}>${c.to}`)).toEqual([
      "closed>connecting",
      "connecting>open",
      "open>reconnecting",
      "reconnecting>connecting",
      "connecting>reconnecting",
      "reconnecting>closed",
    ]);
    expect(changes[2]).toMatchObject({ reason: "transport closed", attempt: 1, nextRetryInMs: 10 });
    expect((changes[2]?.error as Error).name).toBe("ConnectionError");
    expect(changes[4]).toMatchObject({ attempt: 2, nextRetryInMs: 50 });
  });

  it("states() iterates the transitions until aborted", async () => {
    vi.useRealTimers();
    const socket = new Socket("ws://h/socket", { transport: Fake });
    const ac = new AbortController();
    const seen: string[] = [];
    const loop = (async () => {
      for await (const c of socket.states({ signal: ac.signal })) seen.push(c.to);
    })();
    socket.connect();
    conn().open();
    await Promise.resolve();
    ac.abort();
    await loop;
    expect(seen).toEqual(["connecting", "open"]);
    socket.disconnect();
  });
});

describe("LongPoll fallback", () => {
  function fallbackSocket(storage: StorageLike) {
    const socket = new Socket("ws://h/socket", { transport: Fake, longPollFallbackMs: 100, sessionStorage: storage });
    socket.getLongPollTransport = () => LP;
    return socket;
  }

  it("falls back when WebSocket errors before opening, and remembers it", () => {
    const storage = memoryStorage();
    const socket = fallbackSocket(storage);
    socket.connect();
    conn().error();
    expect(conn()).toBeInstanceOf(FakeLongPoll);
    expect(socket.transport).toBe(LP);
    conn().open();
    expect(storage.data.get(FALLBACK_STORAGE_KEY)).toBe("true");
    socket.disconnect();
    const again = fallbackSocket(storage);
    again.connect();
    expect(conn()).toBeInstanceOf(FakeLongPoll);
    again.disconnect();
  });

  it("falls back when WebSocket opens but does not answer a ping in time", () => {
    const storage = memoryStorage();
    const socket = fallbackSocket(storage);
    socket.connect();
    const ws = conn();
    ws.open();
    expect(ws.last()[3]).toBe("heartbeat");
    vi.advanceTimersByTime(100);
    expect(conn()).toBeInstanceOf(FakeLongPoll);
    socket.disconnect();
  });

  it("stays on WebSocket when it answers, and remembers nothing", () => {
    const storage = memoryStorage();
    const socket = fallbackSocket(storage);
    socket.connect();
    conn().open();
    const ping = conn().last();
    conn().reply([null, ping[1], "phoenix", "phx_reply", { status: "ok", response: {} }]);
    vi.advanceTimersByTime(1000);
    expect(FakeConn.all).toHaveLength(1);
    expect(socket.primaryPassedHealthCheck).toBe(true);
    expect(storage.data.size).toBe(0);
    socket.disconnect();
  });

  it("uses memory when sessionStorage throws", () => {
    const throwing: StorageLike = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("denied");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    };
    const socket = fallbackSocket(throwing);
    socket.connect();
    conn().error();
    conn().open();
    expect(socket.sessionStore.getItem(FALLBACK_STORAGE_KEY)).toBe("true");
    socket.sessionStore.removeItem(FALLBACK_STORAGE_KEY);
    expect(socket.sessionStore.getItem(FALLBACK_STORAGE_KEY)).toBeNull();
    socket.disconnect();
  });

  it("works with no sessionStorage at all", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    socket.sessionStore.setItem("k", "v");
    expect(socket.sessionStore.getItem("k")).toBe("v");
  });
});

describe("Transport defaults", () => {
  it("uses the platform WebSocket, looked up when the socket is created", () => {
    vi.stubGlobal("WebSocket", FakeConn);
    const socket = new Socket("ws://h/socket");
    expect(socket.transport).toBe(FakeConn);
  });

  it("uses LongPoll when there is no WebSocket at all", () => {
    vi.stubGlobal("WebSocket", undefined);
    const socket = new Socket("ws://h/socket");
    expect(socket.transport).toBe(socket.getLongPollTransport());
  });
});

describe("LongPoll fallback with async credentials", () => {
  it("falls back with the params and token resolved for the attempt", async () => {
    const socket = new Socket("ws://h/socket", {
      transport: Fake,
      longPollFallbackMs: 100,
      sessionStorage: memoryStorage(),
      params: async () => ({ user: "u" }),
      authToken: async () => "tok",
    });
    socket.getLongPollTransport = () => LP;
    socket.connect();
    await vi.advanceTimersByTimeAsync(0);
    expect(conn().url).toContain("user=u");
    await vi.advanceTimersByTimeAsync(100);
    expect(conn()).toBeInstanceOf(FakeLongPoll);
    expect(conn().url).toContain("user=u");
    expect(conn().protocols).toEqual(["phoenix", "base64url.bearer.phx.dG9r"]);
    socket.disconnect();
  });
});
