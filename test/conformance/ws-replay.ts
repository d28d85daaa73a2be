/**
 * Replays a WebSocket recording against a running server and checks every answer against the
 * recording: handshake status / body / sub-protocol, then each frame in order (text byte for
 * byte apart from `varies` values, binary byte for byte, close codes).
 */
import type { IncomingMessage } from "node:http";
import WebSocket from "ws";
import { normalizeVarying, wsConnections, type RecordedHandshake, type WsFrame, type WsRecording } from "./recordings";

type PeerEvent =
  | { type: "text"; data: string }
  | { type: "binary"; data: Buffer }
  | { type: "close"; code: number; reason: string };

interface HandshakeSeen {
  status: number;
  headers: IncomingMessage["headers"];
  body: string;
  error?: string;
}

/** Deliberate differences from a recording (a 1.7 file where we follow 1.8, a Phoenix timing quirk). */
export interface WsExpectations {
  /** Per connection: the handshake we answer instead of the recorded one. */
  handshake?: Record<string, RecordedHandshake>;
  /** Indices (in `frames`) of incoming frames we deliberately do not send. */
  absent?: number[];
  /** Per incoming close-frame index: other close codes that are also acceptable. */
  closeAlternatives?: Record<number, number[]>;
}

const STANDARD_HEADERS = new Set(["connection", "host", "sec-websocket-key", "sec-websocket-version", "upgrade", "sec-websocket-protocol", "origin"]);

class Peer {
  readonly ws: WebSocket;
  readonly events: PeerEvent[] = [];
  handshake: HandshakeSeen | undefined;
  finished = false;
  private wake: (() => void) | undefined;
  readonly ready: Promise<void>;

  constructor(url: string, headers: Record<string, string | number>) {
    const protocols = typeof headers["sec-websocket-protocol"] === "string" ? headers["sec-websocket-protocol"].split(",").map((s) => s.trim()) : [];
    const extra: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (!STANDARD_HEADERS.has(k.toLowerCase())) extra[k] = String(v);
    this.ws = new WebSocket(url, protocols, {
      headers: extra,
      perMessageDeflate: false,
      maxPayload: 64 * 1024 * 1024,
      ...(typeof headers.origin === "string" ? { origin: headers.origin } : {}),
    });
    this.ready = new Promise<void>((resolve) => {
      this.ws.on("upgrade", (res) => {
        this.handshake = { status: res.statusCode ?? 0, headers: res.headers, body: "" };
      });
      this.ws.on("unexpected-response", (req, res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => {
          this.handshake = { status: res.statusCode ?? 0, headers: res.headers, body };
          req.destroy();
          resolve();
        });
      });
      this.ws.on("open", () => resolve());
      this.ws.on("error", (err) => {
        if (this.handshake && this.handshake.status === 101 && this.ws.readyState !== WebSocket.OPEN) this.handshake.error = err.message;
        else if (!this.handshake) this.handshake = { status: 0, headers: {}, body: "", error: err.message };
        resolve();
      });
      this.ws.on("close", () => resolve());
    });
    this.ws.on("message", (data: Buffer, isBinary: boolean) => this.push(isBinary ? { type: "binary", data } : { type: "text", data: data.toString("utf8") }));
    this.ws.on("close", (code: number, reason: Buffer) => this.push({ type: "close", code, reason: reason.toString("utf8") }));
  }

  private push(ev: PeerEvent): void {
    if (this.finished) return;
    this.events.push(ev);
    this.wake?.();
  }

  async next(timeoutMs: number): Promise<PeerEvent | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    return this.events.shift();
  }

  dispose(): void {
    this.finished = true;
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }
}

function outgoingText(f: WsFrame): string {
  if (f.data !== undefined) return f.data;
  if (f.data_omitted && f.length !== undefined && f.data_prefix !== undefined) {
    // The recordings leave out huge frames; rebuild one of the recorded length.
    return f.data_prefix + "z".repeat(f.length - f.data_prefix.length - 3) + '"}]';
  }
  throw new Error("outgoing text frame without data");
}

function describe(ev: PeerEvent | undefined): string {
  if (!ev) return "nothing (timeout)";
  if (ev.type === "text") return `text ${ev.data.length > 300 ? ev.data.slice(0, 300) + "…" : ev.data}`;
  if (ev.type === "binary") return `binary ${ev.data.toString("base64")}`;
  return `close ${ev.code} "${ev.reason}"`;
}

function checkHandshake(file: string, name: string, seen: HandshakeSeen | undefined, want: RecordedHandshake): void {
  const where = `${file} [${name}] handshake`;
  if (!seen) throw new Error(`${where}: no answer at all`);
  if (seen.status !== want.status) throw new Error(`${where}: HTTP ${seen.status}, recorded ${want.status}`);
  const proto = seen.headers["sec-websocket-protocol"];
  const wantProto = want.headers["sec-websocket-protocol"];
  if ((proto ?? null) !== (wantProto ?? null)) {
    throw new Error(`${where}: sec-websocket-protocol ${String(proto)}, recorded ${String(wantProto)}`);
  }
  if (want.status !== 101) {
    if (seen.body !== (want.body ?? "")) throw new Error(`${where}: body ${JSON.stringify(seen.body)}, recorded ${JSON.stringify(want.body)}`);
    const ct = want.headers["content-type"];
    if (ct !== undefined && seen.headers["content-type"] !== ct) {
      throw new Error(`${where}: content-type ${String(seen.headers["content-type"])}, recorded ${ct}`);
    }
  }
  if (want.client_error !== undefined && seen.error === undefined) {
    throw new Error(`${where}: the client accepted the handshake; recorded client error "${want.client_error}"`);
  }
  if (want.client_error === undefined && want.status === 101 && seen.error !== undefined) {
    throw new Error(`${where}: client error "${seen.error}"`);
  }
}

/**
 * Replays `rec` against `ws://127.0.0.1:${port}` and throws on the first difference.
 * Connections are opened in recorded order; frames are replayed in recorded order, each incoming
 * frame awaited on its own connection (interleaving between connections is not compared).
 */
export async function replayWs(rec: WsRecording, port: number, exp: WsExpectations = {}, timeoutMs = 5000): Promise<void> {
  const peers = new Map<string, Peer>();
  try {
    for (const [name, conn] of wsConnections(rec)) {
      const u = new URL(conn.request.url);
      const peer = new Peer(`ws://127.0.0.1:${port}${u.pathname}${u.search}`, conn.request.headers ?? {});
      peers.set(name, peer);
      await peer.ready;
      // A refused or aborted handshake carries no frames; its socket events are not frames.
      if (peer.handshake?.status !== 101 || peer.handshake.error !== undefined) peer.finished = true;
      checkHandshake(rec.file, name, peer.handshake, exp.handshake?.[name] ?? conn.handshake);
    }
    const absent = new Set(exp.absent ?? []);
    for (let i = 0; i < rec.frames.length; i++) {
      const f = rec.frames[i] as WsFrame;
      const name = f.conn ?? "main";
      const peer = peers.get(name);
      if (!peer) throw new Error(`${rec.file} frame ${i}: unknown connection ${name}`);
      const where = `${rec.file} frame ${i} [${name}]`;
      if (f.dir === "out") {
        switch (f.opcode) {
          case "text":
            peer.ws.send(outgoingText(f));
            break;
          case "binary":
            peer.ws.send(Buffer.from(f.data ?? "", "base64"), { binary: true });
            break;
          case "close":
            peer.ws.close(f.close_code, f.close_reason ?? "");
            break;
          case "eof":
            peer.dispose();
            break;
        }
        continue;
      }
      if (absent.has(i)) continue;
      const ev = await peer.next(timeoutMs);
      const fail = (): never => {
        throw new Error(`${where}: got ${describe(ev)}; recorded ${f.opcode} ${f.opcode === "close" ? f.close_code : (f.data ?? "")}`);
      };
      if (f.opcode === "text") {
        if (ev?.type !== "text" || normalizeVarying(ev.data) !== normalizeVarying(f.data ?? "")) fail();
      } else if (f.opcode === "binary") {
        if (ev?.type !== "binary" || !ev.data.equals(Buffer.from(f.data ?? "", "base64"))) fail();
      } else if (f.opcode === "close") {
        const codes = [f.close_code, ...(exp.closeAlternatives?.[i] ?? [])];
        if (ev?.type !== "close" || !codes.includes(ev.code) || (ev.code === f.close_code && ev.reason !== (f.close_reason ?? ""))) fail();
        peer.finished = true;
      }
    }
    // Nothing may arrive that the recording does not show (e.g. a reply to a dropped push).
    await new Promise((r) => setTimeout(r, 100));
    for (const [name, peer] of peers) {
      if (!peer.finished && peer.events.length > 0) {
        throw new Error(`${rec.file} [${name}]: unexpected extra frame: ${describe(peer.events[0])}`);
      }
    }
  } finally {
    for (const peer of peers.values()) peer.dispose();
  }
}
