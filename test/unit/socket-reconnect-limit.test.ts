import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Socket } from "../../src/socket";
import { ConnectionError, UsageError } from "../../src/errors";
import type { SocketStateChange } from "../../src/socket";
import { Fake, FakeConn, conn } from "./support/fake-conn";

/** Lets every attempt fail until `n` connections were made (the first connect plus retries). */
function failUntil(n: number): void {
  for (let guard = 0; guard < 1000 && FakeConn.all.length <= n; guard++) {
    if (conn().readyState !== 3) conn().refuse();
    vi.advanceTimersToNextTimer();
  }
}

function watch(socket: Socket): SocketStateChange[] {
  const changes: SocketStateChange[] = [];
  socket.onStateChange((c) => changes.push(c));
  return changes;
}

beforeEach(() => {
  FakeConn.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("reconnect: {maxAttempts}", () => {
  it("stops retrying after the ceiling and reports failed with the last error as cause", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, reconnect: { maxAttempts: 3 } });
    socket.onError(() => {});
    const changes = watch(socket);
    socket.connect();
    for (let i = 0; i < 3; i++) {
      conn().refuse(4000 + i);
      vi.advanceTimersToNextTimer();
    }
    expect(FakeConn.all).toHaveLength(4); // the first connect and 3 retries
    conn().refuse(4003);
    expect(socket.state).toBe("failed");
    const last = changes[changes.length - 1] as SocketStateChange;
    expect(last).toMatchObject({ from: "connecting", to: "failed", attempt: 3, nextRetryInMs: null });
    expect(last.error).toBeInstanceOf(ConnectionError);
    const cause = (last.error as Error & { cause?: unknown }).cause;
    expect(cause).toBeInstanceOf(ConnectionError);
    expect(String((cause as Error).message)).toContain("4003");
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(600_000);
    expect(FakeConn.all).toHaveLength(4);
    expect(changes.filter((c) => c.to === "failed")).toHaveLength(1);
  });

  it("counts attempts in a row: an open connection starts the count over", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, reconnect: { maxAttempts: 2 } });
    socket.onError(() => {});
    socket.connect();
    conn().refuse();
    vi.advanceTimersToNextTimer();
    conn().refuse();
    vi.advanceTimersToNextTimer();
    conn().open(); // third connection works
    conn().refuse(); // and later drops
    vi.advanceTimersToNextTimer();
    conn().refuse();
    vi.advanceTimersToNextTimer();
    expect(socket.state).toBe("connecting");
    conn().refuse();
    expect(socket.state).toBe("failed");
  });

  it("retries forever by default, as phoenix.js", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake });
    socket.onError(() => {});
    socket.connect();
    failUntil(60);
    expect(FakeConn.all.length).toBeGreaterThan(60);
    expect(socket.state).not.toBe("failed");
    socket.disconnect();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("gives up at the first drop with maxAttempts 0", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, reconnect: { maxAttempts: 0 } });
    socket.onError(() => {});
    socket.connect();
    conn().open();
    conn().refuse();
    expect(socket.state).toBe("failed");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("starts afresh on connect(): a full set of attempts, and channels join again", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, reconnect: { maxAttempts: 1 } });
    socket.onError(() => {});
    const chan = socket.channel("room:1");
    chan.join();
    socket.connect();
    conn().open();
    const [joinRef, ref] = conn().frames()[0] as [string, string];
    conn().onmessage?.({ data: JSON.stringify([joinRef, ref, "room:1", "phx_reply", { status: "ok", response: {} }]) });
    expect(chan.state).toBe("joined");
    conn().refuse();
    vi.advanceTimersToNextTimer();
    conn().refuse();
    expect(socket.state).toBe("failed");
    expect(chan.state).toBe("errored");
    const changes = watch(socket);
    socket.connect();
    expect(FakeConn.all).toHaveLength(3);
    expect(changes[0]).toMatchObject({ from: "failed", to: "connecting", attempt: 0 });
    conn().refuse();
    expect(socket.state).toBe("reconnecting"); // one retry allowed again
    vi.advanceTimersToNextTimer();
    conn().open();
    expect(socket.state).toBe("open");
    expect(chan.state).toBe("joining");
    expect((conn().frames()[0] as unknown[])[3]).toBe("phx_join");
    socket.disconnect();
  });

  it("is not revived by page or network events, only by connect()", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, reconnect: { maxAttempts: 0 }, lifecycle: false });
    socket.onError(() => {});
    socket.connect();
    conn().refuse();
    expect(socket.state).toBe("failed");
    socket.resume("online");
    socket.pause("hidden");
    socket.resume("visible");
    vi.advanceTimersByTime(60_000);
    expect(FakeConn.all).toHaveLength(1);
    expect(socket.state).toBe("failed");
    socket.disconnect();
    expect(socket.state).toBe("closed");
  });

  it("rejects a ceiling that is not a whole number of attempts", () => {
    for (const bad of [-1, 1.5, Number.NaN, "3" as unknown as number]) {
      expect(() => new Socket("ws://h/socket", { transport: Fake, reconnect: { maxAttempts: bad } })).toThrow(UsageError);
    }
    expect(() => new Socket("ws://h/socket", { transport: Fake, reconnect: { maxAttempts: Infinity } })).not.toThrow();
  });
});
