/**
 * Differential: page lifecycle (pagehide/pageshow, visibilitychange) against phoenix.js 1.8.16
 * (the oracle) and ours, on the fake page of lifecycle-env.ts.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import * as Ours from "../../src/index";
import { ManualTransport, lastTransport, useCompatCleanup, type Impl } from "./impls";
import { PhoenixWithWindow, fakeDocument, fakeWindow, hide, installGlobals, removeGlobals, show } from "./lifecycle-env";

const IMPLS_WITH_WINDOW: Array<[string, Impl]> = [
  ["phoenix.js", PhoenixWithWindow],
  ["ours", Ours as unknown as Impl],
];

useCompatCleanup();
const sockets: any[] = [];
beforeEach(() => {
  ManualTransport.instances = [];
  fakeDocument.visibilityState = "visible";
  installGlobals();
});
afterEach(() => {
  // phoenix.js never removes its window listeners: silence every socket of the test.
  while (sockets.length) sockets.pop().disconnect();
  removeGlobals();
});

describe.each(IMPLS_WITH_WINDOW)("Page lifecycle (%s)", (_name, impl) => {
  function open(opts: Record<string, unknown> = {}): { socket: any; t: ManualTransport } {
    const socket = new impl.Socket("ws://h.example/socket", { transport: ManualTransport, ...opts });
    sockets.push(socket);
    socket.connect();
    const t = lastTransport();
    t.open();
    return { socket, t };
  }

  it("pagehide closes the open connection and pageshow connects again", () => {
    vi.useFakeTimers();
    const { socket, t } = open();
    fakeWindow.dispatchEvent(new Event("pagehide"));
    expect(t.closed).toHaveLength(1);
    vi.advanceTimersByTime(1000);
    expect(ManualTransport.instances).toHaveLength(1);
    fakeWindow.dispatchEvent(new Event("pageshow"));
    vi.advanceTimersByTime(100);
    expect(ManualTransport.instances).toHaveLength(2);
    lastTransport().open();
    expect(socket.isConnected()).toBe(true);
  });

  it("pagehide errors the joined channels, which rejoin after pageshow", () => {
    vi.useFakeTimers();
    const { socket, t } = open();
    const channel = socket.channel("room:1");
    channel.join();
    const f = t.frames()[0]!;
    t.receive(f[0], f[1], "room:1", "phx_reply", { status: "ok", response: {} });
    fakeWindow.dispatchEvent(new Event("pagehide"));
    expect(channel.state).toBe("errored");
    fakeWindow.dispatchEvent(new Event("pageshow"));
    vi.advanceTimersByTime(100);
    lastTransport().open();
    expect(channel.state).toBe("joining");
  });

  it("pageshow does not reconnect a socket the app disconnected", () => {
    vi.useFakeTimers();
    const { socket } = open();
    socket.disconnect();
    fakeWindow.dispatchEvent(new Event("pagehide"));
    fakeWindow.dispatchEvent(new Event("pageshow"));
    vi.advanceTimersByTime(10000);
    expect(ManualTransport.instances).toHaveLength(1);
  });

  it("pageshow does not reconnect when the app disconnected after the pagehide", () => {
    vi.useFakeTimers();
    const { socket } = open();
    fakeWindow.dispatchEvent(new Event("pagehide"));
    socket.disconnect();
    fakeWindow.dispatchEvent(new Event("pageshow"));
    vi.advanceTimersByTime(10000);
    expect(ManualTransport.instances).toHaveLength(1);
  });

  it("does not reconnect while the page is hidden, and reconnects at once when it becomes visible", () => {
    vi.useFakeTimers();
    const { t } = open({ reconnectAfterMs: () => 1000 });
    hide();
    t.drop();
    vi.advanceTimersByTime(10000);
    expect(ManualTransport.instances).toHaveLength(1);
    show();
    vi.advanceTimersByTime(1);
    expect(ManualTransport.instances).toHaveLength(2);
  });

  it("becoming visible while a reconnect is pending reconnects without waiting for the backoff", () => {
    vi.useFakeTimers();
    const { t } = open({ reconnectAfterMs: () => 60000 });
    t.drop();
    vi.advanceTimersByTime(100);
    expect(ManualTransport.instances).toHaveLength(1);
    show();
    vi.advanceTimersByTime(1);
    expect(ManualTransport.instances).toHaveLength(2);
  });

  it("becoming visible does not reconnect a socket the app disconnected", () => {
    vi.useFakeTimers();
    const { socket } = open();
    socket.disconnect();
    hide();
    show();
    vi.advanceTimersByTime(10000);
    expect(ManualTransport.instances).toHaveLength(1);
  });

  it("becoming visible while connected keeps the connection", () => {
    vi.useFakeTimers();
    const { socket, t } = open();
    hide();
    show();
    vi.advanceTimersByTime(1);
    expect(ManualTransport.instances).toHaveLength(1);
    expect(t.closed).toEqual([]);
    expect(socket.isConnected()).toBe(true);
  });
});
