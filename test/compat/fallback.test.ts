/**
 * Differential: the long-poll fallback (`longPollFallbackMs`) and its memory in session storage,
 * run against phoenix.js 1.8.16 (the oracle) and ours with the same expectations. The
 * WebSocket is a ManualTransport; LongPoll's requests go to a stubbed fetch that never answers.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it, vi } from "vitest";
import { IMPLS, ManualTransport, lastTransport, useCompatCleanup } from "./impls";

useCompatCleanup();

/** A Storage-like map that records writes. */
function memoryStorage(initial: Record<string, string> = {}): { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void; data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

describe.each(IMPLS)("Long-poll fallback (%s)", (_name, impl) => {
  function setup(storage = memoryStorage(), ms = 500): { socket: any; storage: ReturnType<typeof memoryStorage>; fetch: any } {
    vi.useFakeTimers();
    const fetch = vi.fn(() => new Promise(() => {}));
    vi.stubGlobal("fetch", fetch);
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport, longPollFallbackMs: ms, sessionStorage: storage });
    return { socket, storage, fetch };
  }

  it("starts on the WebSocket transport", () => {
    const { socket } = setup();
    socket.connect();
    expect(ManualTransport.instances).toHaveLength(1);
    expect(socket.conn).toBe(lastTransport());
    expect(socket.transport).toBe(ManualTransport);
    socket.disconnect();
  });

  it("falls back to LongPoll when the WebSocket errors before opening", () => {
    const { socket } = setup();
    socket.connect();
    lastTransport().onerror!({ type: "error" });
    expect(socket.transport).toBe(impl.LongPoll);
    expect(socket.conn).toBeInstanceOf(impl.LongPoll);
    socket.disconnect();
  });

  it("falls back to LongPoll when the WebSocket does not open within longPollFallbackMs", () => {
    const { socket } = setup();
    socket.connect();
    vi.advanceTimersByTime(499);
    expect(socket.transport).toBe(ManualTransport);
    vi.advanceTimersByTime(1);
    expect(socket.transport).toBe(impl.LongPoll);
    socket.disconnect();
  });

  it("stays on the WebSocket once it opened and answered the health-check ping", () => {
    const { socket } = setup();
    socket.connect();
    const t = lastTransport();
    t.open();
    const ping = t.frames().find((f) => f[2] === "phoenix" && f[3] === "heartbeat");
    expect(ping).toBeDefined();
    t.receive(null, ping![1], "phoenix", "phx_reply", { status: "ok", response: {} });
    vi.advanceTimersByTime(5000);
    expect(socket.transport).toBe(ManualTransport);
    expect(socket.conn).toBe(t);
    expect(socket.primaryPassedHealthCheck).toBe(true);
    socket.disconnect();
  });

  it("falls back when the WebSocket opened but never answered the health-check ping", () => {
    const { socket } = setup();
    socket.connect();
    lastTransport().open();
    vi.advanceTimersByTime(500);
    expect(socket.transport).toBe(impl.LongPoll);
    socket.disconnect();
  });

  it("goes straight to LongPoll when the fallback is remembered in session storage", () => {
    const { socket } = setup(memoryStorage({ "phx:fallback:LongPoll": "true" }));
    socket.connect();
    expect(ManualTransport.instances).toHaveLength(0);
    expect(socket.transport).toBe(impl.LongPoll);
    socket.disconnect();
  });

  it("remembers the fallback once LongPoll opened, when the WebSocket never passed its health check", () => {
    const { socket, storage } = setup();
    socket.connect();
    lastTransport().onerror!({ type: "error" });
    expect(storage.data.get("phx:fallback:LongPoll")).toBeUndefined();
    socket.conn.readyState = 1;
    socket.conn.onopen({});
    expect(storage.data.get("phx:fallback:LongPoll")).toBe("true");
    socket.disconnect();
  });

  it("does not fall back without longPollFallbackMs", () => {
    vi.useFakeTimers();
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport });
    socket.connect();
    lastTransport().onerror!({ type: "error" });
    vi.advanceTimersByTime(60000);
    expect(socket.transport).toBe(ManualTransport);
    socket.disconnect();
  });
});
