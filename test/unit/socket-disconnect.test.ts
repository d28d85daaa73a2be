import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DISCONNECT_CLOSE_WAIT_MS, Socket } from "../../src/socket";
import type { TransportConstructor } from "../../src/types";
import { FakeConn } from "./support/fake-conn";

/** A transport whose close handshake takes as long as the test says (like a real WebSocket). */
class SlowCloseConn extends FakeConn {
  static override all: SlowCloseConn[] = [];
  /** Closing starts the handshake; the test ends it with `finishClose()`. */
  override close(code?: number, reason?: string): void {
    this.readyState = 2;
    this.closedWith = { code, reason };
  }
}
const Slow = SlowCloseConn as unknown as TransportConstructor;
const conn = (): SlowCloseConn => SlowCloseConn.all[SlowCloseConn.all.length - 1] as SlowCloseConn;

function open(opts: ConstructorParameters<typeof Socket>[1] = {}): Socket {
  const socket = new Socket("ws://example.test/socket", { transport: Slow, ...opts });
  socket.connect();
  conn().open();
  return socket;
}

beforeEach(() => {
  SlowCloseConn.all = [];
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("disconnect(callback)", () => {
  it("calls the callback only once the connection has actually closed", () => {
    const socket = open();
    const done = vi.fn();
    socket.disconnect(done, 4001, "logout");
    expect(conn().closedWith).toEqual({ code: 4001, reason: "logout" });
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(done).not.toHaveBeenCalled();
    conn().finishClose();
    expect(done).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(done).toHaveBeenCalledTimes(1);
    expect(SlowCloseConn.all).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("notices a transport that closed without firing a close event", () => {
    const socket = open();
    const done = vi.fn();
    socket.disconnect(done);
    conn().readyState = 3;
    vi.advanceTimersByTime(150);
    expect(done).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("gives up waiting on a peer that never completes the close, after a bounded wait", () => {
    const socket = open();
    const done = vi.fn();
    socket.disconnect(done);
    vi.advanceTimersByTime(DISCONNECT_CLOSE_WAIT_MS - 1);
    expect(done).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(done).toHaveBeenCalledTimes(1);
    expect(DISCONNECT_CLOSE_WAIT_MS).toBeLessThanOrEqual(2000);
    // A late close changes nothing and reconnects nothing.
    conn().finishClose();
    vi.advanceTimersByTime(60_000);
    expect(done).toHaveBeenCalledTimes(1);
    expect(SlowCloseConn.all).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("detaches at once: nothing reconnects and the socket reports closed while the handshake runs", () => {
    const socket = open();
    const closes = vi.fn();
    socket.onClose(closes);
    socket.disconnect(() => {});
    expect(socket.isConnected()).toBe(false);
    expect(socket.state).toBe("closed");
    expect(closes).toHaveBeenCalledTimes(1);
    conn().finishClose();
    expect(closes).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60_000);
    expect(SlowCloseConn.all).toHaveLength(1);
  });

  it("lets the app connect again while the old connection is still closing", () => {
    const socket = open();
    const done = vi.fn();
    socket.disconnect(done);
    const old = conn();
    socket.connect();
    expect(SlowCloseConn.all).toHaveLength(2);
    conn().open();
    expect(socket.isConnected()).toBe(true);
    old.finishClose();
    expect(done).toHaveBeenCalledTimes(1);
    expect(socket.isConnected()).toBe(true);
    socket.disconnect();
  });

  it("makes a second disconnect callback wait for the same close", () => {
    const socket = open();
    const first = vi.fn();
    const second = vi.fn();
    socket.disconnect(first);
    socket.disconnect(second);
    expect(second).not.toHaveBeenCalled();
    conn().finishClose();
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
  });

  it("calls the callback at once when there is no connection", () => {
    const socket = new Socket("ws://example.test/socket", { transport: Slow });
    const done = vi.fn();
    socket.disconnect(done);
    expect(done).toHaveBeenCalledTimes(1);
  });

  it("still drops a connection whose heartbeat went unanswered and redials without waiting for its close", () => {
    const socket = open({ heartbeatIntervalMs: 1000 });
    const dead = conn();
    vi.advanceTimersByTime(1000); // heartbeat sent
    vi.advanceTimersByTime(1000); // no reply: abandoned
    expect(dead.closedWith).toEqual({ code: 1000, reason: "heartbeat timeout" });
    expect(dead.readyState).toBe(2); // the dead peer never finishes the close...
    vi.advanceTimersByTime(10); // ...and the first reconnect step does not wait for it
    expect(SlowCloseConn.all).toHaveLength(2);
    socket.disconnect();
  });
});

describe("disconnect() before the connection opened (as phoenix.js)", () => {
  it("leaves a joining channel joining, and the next connection sends its join", () => {
    const socket = new Socket("ws://example.test/socket", { transport: Slow });
    socket.connect();
    const chan = socket.channel("room:1");
    const errors = vi.fn();
    chan.onError(errors);
    chan.join();
    socket.disconnect();
    expect(chan.state).toBe("joining");
    expect(errors).not.toHaveBeenCalled();
    socket.connect();
    conn().open();
    expect(conn().frames().map((f) => [f[2], f[3]])).toEqual([["room:1", "phx_join"]]);
    socket.disconnect();
  });

  it("does not send the leave of a join that timed out while connecting: only the new join goes out", () => {
    const socket = new Socket("ws://example.test/socket", { transport: Slow });
    socket.connect();
    const chan = socket.channel("room:1");
    const timedOut = vi.fn();
    chan.join(1000).receive("timeout", timedOut);
    vi.advanceTimersByTime(1000);
    expect(timedOut).toHaveBeenCalledTimes(1);
    expect(chan.state).toBe("errored");
    conn().open();
    const frames = conn().frames();
    expect(frames.map((f) => f[3])).toEqual(["phx_join"]);
    expect(frames[0]?.[0]).toBe(chan.joinRef());
    socket.disconnect();
  });
});
