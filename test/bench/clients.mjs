// The three clients measured side by side, behind one small interface:
//   floor   — raw `ws`, JSON.parse/stringify and two Map lookups (ref → callback, topic → handlers)
//   phoenix — the official phoenix.js client (npm `phoenix`) with `transport: WebSocket` from ws
//   ours    — phx-channels' Node entry, bundled into .bench/client.mjs
// ours and phoenix share the phoenix.js API, so one adapter drives both.
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import { OUT_DIR } from "./lib.mjs";

/** Long enough never to fire during a round; the worker process exits when the round ends. */
export const LONG = 600_000;

export class NotBuilt extends Error {}

export async function loadOurs() {
  const file = path.join(OUT_DIR, "client.mjs");
  if (!existsSync(file)) throw new NotBuilt("src/node.ts not built");
  return import(pathToFileURL(file).href);
}

export async function loadPhoenix() {
  return import("phoenix");
}

class FloorClient {
  constructor(url) {
    this.url = `${url}/websocket?vsn=2.0.0`;
    this.ref = 0;
    this.replies = new Map();
    this.topics = new Map();
    this.ws = null;
  }
  connect() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      this.ws = ws;
      ws.onopen = () => resolve();
      ws.onerror = (e) => reject(e.error ?? new Error("floor connect failed"));
      ws.onmessage = (e) => this.onMessage(e.data);
    });
  }
  onMessage(data) {
    const msg = JSON.parse(data);
    const ref = msg[1];
    if (ref !== null) {
      const cb = this.replies.get(ref);
      if (cb !== undefined) {
        this.replies.delete(ref);
        cb(msg[4]);
        return;
      }
    }
    const ch = this.topics.get(msg[2]);
    if (ch !== undefined) {
      const handler = ch.handlers.get(msg[3]);
      if (handler !== undefined) handler(msg[4]);
    }
  }
  send(joinRef, topic, event, payload, cb) {
    const ref = String(++this.ref);
    if (cb) this.replies.set(ref, cb);
    this.ws.send(JSON.stringify([joinRef, ref, topic, event, payload]));
    return ref;
  }
  channel(topic) {
    const ch = { topic, joinRef: null, state: "closed", handlers: new Map() };
    this.topics.set(topic, ch);
    return ch;
  }
  join(ch, cb) {
    ch.state = "joining";
    ch.joinRef = String(this.ref + 1);
    this.send(ch.joinRef, ch.topic, "phx_join", {}, (payload) => {
      ch.state = "joined";
      cb(payload);
    });
  }
  push(ch, event, payload, cb) {
    this.send(ch.joinRef, ch.topic, event, payload, cb);
  }
  on(ch, event, cb) {
    ch.handlers.set(event, cb);
  }
  close() {
    try {
      this.ws.terminate();
    } catch {}
  }
}

class PhxClient {
  constructor(Socket, url, opts) {
    this.socket = new Socket(url, { timeout: LONG, heartbeatIntervalMs: LONG, ...opts });
  }
  connect() {
    return new Promise((resolve, reject) => {
      let opened = false;
      this.socket.onOpen(() => {
        opened = true;
        resolve();
      });
      this.socket.onError((e) => {
        if (!opened) reject(e instanceof Error ? e : new Error("connect failed"));
      });
      this.socket.connect();
    });
  }
  channel(topic) {
    return this.socket.channel(topic, {});
  }
  join(ch, cb) {
    ch.join(LONG).receive("ok", cb);
  }
  push(ch, event, payload, cb) {
    const p = ch.push(event, payload, LONG);
    if (cb) p.receive("ok", cb);
  }
  on(ch, event, cb) {
    ch.on(event, cb);
  }
  close() {
    const conn = this.socket.conn;
    try {
      this.socket.disconnect();
    } catch {}
    try {
      conn?.terminate?.();
    } catch {}
  }
}

/** Builds a client of kind `impl` ("floor" | "phoenix" | "ours") for `url` (ws://host:port/socket). */
export async function makeClient(impl, url) {
  if (impl === "floor") return new FloorClient(url);
  if (impl === "phoenix") {
    const { Socket } = await loadPhoenix();
    return new PhxClient(Socket, url, { transport: WebSocket });
  }
  if (impl === "ours") {
    const { Socket } = await loadOurs();
    if (typeof Socket !== "function") throw new NotBuilt("src/node.ts has no Socket export yet");
    return new PhxClient(Socket, url, {});
  }
  throw new Error(`unknown client ${impl}`);
}
