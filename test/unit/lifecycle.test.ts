import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Socket } from "../../src/socket";
import { installLifecycle } from "../../src/lifecycle";
import type { SocketConnectionState, StateChange } from "../../src/types";
import { Fake, FakeConn, conn, openSocket as open } from "./support/fake-conn";

let win: EventTarget;
let doc: EventTarget & { visibilityState: string };
beforeEach(() => {
  FakeConn.all = [];
  vi.useFakeTimers();
  win = new EventTarget();
  doc = Object.assign(new EventTarget(), { visibilityState: "visible" });
  vi.stubGlobal("window", win);
  vi.stubGlobal("document", doc);
  vi.stubGlobal("reportError", () => {});
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});
const fire = (t: EventTarget, type: string): void => {
  t.dispatchEvent(new Event(type));
};

describe("Page and app lifecycle", () => {
  it("installs listeners on connect() only, and removes them on disconnect()", () => {
    const add = vi.spyOn(win, "addEventListener");
    const remove = vi.spyOn(win, "removeEventListener");
    const socket = new Socket("ws://h/socket", { transport: Fake });
    expect(add).not.toHaveBeenCalled();
    socket.connect();
    expect(add.mock.calls.map((c) => c[0]).sort()).toEqual(["offline", "online", "pagehide", "pageshow"]);
    socket.disconnect();
    expect(remove).toHaveBeenCalledTimes(4);
  });

  it("does nothing outside browsers", () => {
    vi.unstubAllGlobals();
    const socket = new Socket("ws://h/socket", { transport: Fake });
    const uninstall = installLifecycle(socket);
    expect(typeof uninstall).toBe("function");
    uninstall();
  });

  it("can be turned off", () => {
    const add = vi.spyOn(win, "addEventListener");
    const socket = open({ lifecycle: false });
    expect(add).not.toHaveBeenCalled();
    socket.disconnect();
  });

  it("closes on pagehide and reconnects on pageshow", () => {
    const socket = open();
    const states: SocketConnectionState[] = [];
    socket.onStateChange((c) => states.push(c.to));
    fire(win, "pagehide");
    expect(FakeConn.all[0]?.closedWith).toEqual({ code: 1000, reason: "page hidden" });
    expect(socket.state).toBe("waiting");
    vi.advanceTimersByTime(60000);
    expect(FakeConn.all).toHaveLength(1);
    fire(win, "pageshow");
    expect(FakeConn.all).toHaveLength(2);
    expect(states).toEqual(["closing", "waiting", "connecting"]);
    socket.disconnect();
  });

  it("never resurrects a socket the app disconnected", () => {
    const socket = open();
    fire(win, "pagehide");
    socket.disconnect();
    fire(win, "pageshow");
    fire(doc, "visibilitychange");
    fire(win, "online");
    fire(doc, "resume");
    socket.resume();
    vi.advanceTimersByTime(60000);
    expect(FakeConn.all).toHaveLength(1);
    expect(socket.state).toBe("closed");
  });

  it("reconnects at once when the page becomes visible instead of waiting for the backoff", () => {
    const socket = open({ reconnectAfterMs: () => 5000 });
    conn().serverClose();
    fire(doc, "visibilitychange");
    expect(FakeConn.all).toHaveLength(2);
    socket.disconnect();
  });

  it("waits while hidden instead of reconnecting, then reconnects when visible", () => {
    const socket = open();
    conn().serverClose();
    doc.visibilityState = "hidden";
    vi.advanceTimersByTime(10);
    expect(FakeConn.all).toHaveLength(1);
    expect(socket.state).toBe("waiting");
    fire(doc, "visibilitychange");
    expect(FakeConn.all).toHaveLength(1);
    doc.visibilityState = "visible";
    fire(doc, "visibilitychange");
    expect(FakeConn.all).toHaveLength(2);
    socket.disconnect();
  });

  it("probes an open-looking socket on online/resume and redials when it does not answer", () => {
    const socket = open({ probeTimeoutMs: 300 });
    const chan = socket.channel("room");
    chan.join();
    conn().ackJoins();
    fire(win, "online");
    const probe = conn().last();
    expect(probe[3]).toBe("heartbeat");
    conn().reply([null, probe[1], "phoenix", "phx_reply", { status: "ok", response: {} }]);
    vi.advanceTimersByTime(300);
    expect(FakeConn.all).toHaveLength(1);
    fire(doc, "resume");
    vi.advanceTimersByTime(300);
    expect(FakeConn.all[0]?.closedWith).toEqual({ code: 1000, reason: "resume probe timeout" });
    expect(chan.state).toBe("errored");
    vi.advanceTimersByTime(10);
    expect(FakeConn.all).toHaveLength(2);
    conn().open();
    expect(conn().last()[3]).toBe("phx_join");
    socket.disconnect();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("parks a reconnecting socket while offline and reconnects when online", () => {
    const socket = open({ reconnectAfterMs: () => 1000 });
    conn().serverClose();
    fire(win, "offline");
    expect(socket.state).toBe("waiting");
    vi.advanceTimersByTime(5000);
    expect(FakeConn.all).toHaveLength(1);
    fire(win, "online");
    expect(FakeConn.all).toHaveLength(2);
    socket.disconnect();
  });

  it("pause() and resume() close and reopen for app state changes", () => {
    const socket = open();
    const changes: StateChange<SocketConnectionState>[] = [];
    socket.onStateChange((c) => changes.push(c));
    socket.pause();
    expect(socket.state).toBe("waiting");
    expect(socket.conn).toBeNull();
    vi.advanceTimersByTime(60000);
    expect(FakeConn.all).toHaveLength(1);
    socket.resume();
    expect(FakeConn.all).toHaveLength(2);
    conn().open();
    expect(changes.map((c) => c.to)).toEqual(["closing", "waiting", "connecting", "open"]);
    socket.disconnect();
    socket.pause();
    expect(socket.state).toBe("closed");
  });
});
