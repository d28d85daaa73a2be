/**
 * A raw WebSocket client for server tests: it records every frame and close as an event the test
 * reads in order, so a test can send anything (malformed frames included) and check exactly what
 * came back.
 */
import WebSocket from "ws";

/** What the server sent: a text frame (raw), a binary frame, or the close. */
export type RawWsEvent = { type: "text"; data: string } | { type: "binary"; data: Buffer } | { type: "close"; code: number };

export class RawWsClient {
  readonly ws: WebSocket;
  private readonly events: RawWsEvent[] = [];
  private wake: (() => void) | undefined;

  constructor(url: string, protocols?: string[]) {
    this.ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    this.ws.on("message", (d: Buffer, bin: boolean) => this.record(bin ? { type: "binary", data: d } : { type: "text", data: d.toString() }));
    this.ws.on("close", (code: number) => this.record({ type: "close", code }));
    this.ws.on("error", () => undefined);
  }

  private record(e: RawWsEvent): void {
    this.events.push(e);
    this.wake?.();
  }

  /** Resolves with the handshake's HTTP status: 101 when upgraded, -1 when the connection failed. */
  opened(): Promise<number> {
    return new Promise((resolve) => {
      this.ws.once("open", () => resolve(101));
      this.ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      this.ws.once("error", () => resolve(-1));
    });
  }

  /** Resolves once upgraded; rejects with the status otherwise. */
  async open(): Promise<void> {
    const status = await this.opened();
    if (status !== 101) throw new Error(`WebSocket handshake answered ${status}`);
  }

  /** The next event, or undefined when none comes within `ms`. */
  async next(ms = 3000): Promise<RawWsEvent | undefined> {
    const end = Date.now() + ms;
    while (this.events.length === 0 && Date.now() < end) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, end - Date.now());
        this.wake = () => (clearTimeout(t), r());
      });
    }
    return this.events.shift();
  }

  /** The next event, which must be a text frame; returns its JSON, parsed. */
  async text(ms?: number): Promise<unknown> {
    const e = await this.next(ms);
    if (e?.type !== "text") throw new Error(`expected a text frame, got ${JSON.stringify(e)}`);
    return JSON.parse(e.data);
  }

  /** Sends `frame` as it is: strings as text frames, buffers as binary unless told otherwise. */
  send(frame: string | Buffer, binary?: boolean): void {
    this.ws.send(frame, { binary: binary ?? typeof frame !== "string" });
  }

  close(): void {
    this.ws.terminate();
  }
}
