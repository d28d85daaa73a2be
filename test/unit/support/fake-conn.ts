import { afterEach, beforeEach, vi } from "vitest";
import { Socket } from "../../../src/socket";
import type { TransportConstructor } from "../../../src/types";

/** A scriptable transport: the test plays the server. */
export class FakeConn {
  /**
   * Every connection made, oldest first. Subclasses share this list unless they
   * declare their own `static all` (the constructor pushes onto `new.target.all`).
   */
  static all: FakeConn[] = [];
  readyState = 0;
  sent: Array<string | ArrayBuffer> = [];
  binaryType = "";
  timeout = 0;
  closedWith: { code?: number; reason?: string } | null = null;
  onopen: ((e?: unknown) => void) | null = null;
  onerror: ((e?: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e?: unknown) => void) | null = null;
  constructor(
    public url: string,
    public protocols?: string | string[],
  ) {
    (new.target as typeof FakeConn).all.push(this);
  }
  send(data: string | ArrayBuffer): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(data);
  }
  close(code?: number, reason?: string): void {
    this.readyState = 3;
    this.closedWith = { code, reason };
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverClose(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: "", wasClean: false });
  }
  /** The server refused or the network failed: the attempt ends without opening. */
  refuse(code = 1006): void {
    this.readyState = 3;
    this.onerror?.({ type: "error" });
    this.onclose?.({ code, reason: "", wasClean: false });
  }
  /** The peer answered the close: the handshake is over. */
  finishClose(): void {
    this.readyState = 3;
    this.onclose?.({ code: this.closedWith?.code ?? 1005, reason: "", wasClean: true });
  }
  error(): void {
    this.onerror?.({ type: "error" });
  }
  reply(frame: unknown[]): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
  raw(data: unknown): void {
    this.onmessage?.({ data });
  }
  frames(): unknown[][] {
    return this.sent.filter((s): s is string => typeof s === "string").map((s) => JSON.parse(s) as unknown[]);
  }
  last(): unknown[] {
    const f = this.frames();
    return f[f.length - 1] as unknown[];
  }
  /** Answers every join it has seen with ok. */
  ackJoins(): void {
    for (const [joinRef, ref, topic, event] of this.frames()) {
      if (event === "phx_join") this.reply([joinRef, ref, topic, "phx_reply", { status: "ok", response: {} }]);
    }
  }
}
export const Fake = FakeConn as unknown as TransportConstructor;
/** The most recent connection. */
export const conn = (): FakeConn => FakeConn.all[FakeConn.all.length - 1] as FakeConn;

/** A socket on the fake transport, connected and opened. */
export function openSocket(opts: ConstructorParameters<typeof Socket>[1] = {}): Socket {
  const socket = new Socket("ws://example.test/socket", { transport: Fake, ...opts });
  socket.connect();
  conn().open();
  return socket;
}

/**
 * Installs the usual hooks: a fresh connection list, fake timers and a stubbed
 * `reportError`. Returns the list of reported errors, emptied before each test.
 */
export function useFakeTransport(): unknown[] {
  const reported: unknown[] = [];
  beforeEach(() => {
    FakeConn.all = [];
    reported.length = 0;
    vi.useFakeTimers();
    vi.stubGlobal("reportError", (e: unknown) => reported.push(e));
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });
  return reported;
}
