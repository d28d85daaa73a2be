/**
 * The reference server under bad input (issue 3 item 6): each malformed thing gets what Phoenix
 * does (or an RFC 6455 close code), nothing crashes, and a second connection open at the same
 * time keeps working in every case.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { createExampleApp, type Endpoint } from "../../src/server/index";
import { RawWsClient } from "../support/raw-ws-client";

const Client = RawWsClient;
type Client = RawWsClient;

let app: Endpoint;
let port: number;
const clients: Client[] = [];

beforeAll(async () => {
  app = createExampleApp({ logger: false });
  port = await app.listen({ port: 0 });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await app.close();
});

async function connect(path = "/socket", vsn: string | null = "2.0.0"): Promise<Client> {
  const c = new Client(`ws://127.0.0.1:${port}${path}/websocket${vsn ? `?vsn=${vsn}` : ""}`);
  clients.push(c);
  await c.open();
  return c;
}

/** A bystander joined to room:lobby: after the bad input it must still echo. */
async function bystander(): Promise<Client> {
  const b = await connect();
  b.send('["1","1","room:lobby","phx_join",{}]');
  expect(await b.text()).toEqual(["1", "1", "room:lobby", "phx_reply", { response: {}, status: "ok" }]);
  return b;
}

async function stillHealthy(b: Client): Promise<void> {
  b.send('["1","9","room:lobby","echo",{"ok":true}]');
  expect(await b.text()).toEqual(["1", "9", "room:lobby", "phx_reply", { response: { ok: true }, status: "ok" }]);
}

async function joined(path = "/socket"): Promise<Client> {
  const a = await connect(path);
  a.send('["1","1","room:a","phx_join",{}]');
  await a.text();
  return a;
}

describe("the server survives malformed frames, and other connections keep working", () => {
  const closing: Array<[string, (a: Client) => void, number]> = [
    ["text that is not JSON", (a) => a.send("this is not json"), 1011],
    ["a JSON array of 4 elements", (a) => a.send('["1","2","room:a","echo"]'), 1011],
    ["a JSON object on a V2 socket", (a) => a.send('{"topic":"room:a","event":"echo","payload":{},"ref":"2"}'), 1011],
    ["a numeric ref", (a) => a.send('["1",2,"room:a","echo",{}]'), 1011],
    ["a binary frame whose header sizes overrun it", (a) => a.send(Buffer.from([0, 5, 5, 200, 200, 0x31])), 1011],
    ["an empty binary frame", (a) => a.send(Buffer.alloc(0)), 1011],
    ["a binary frame of a server-only kind (reply)", (a) => a.send(Buffer.from([1, 1, 1, 1, 1, 0x31, 0x32, 0x61, 0x6f])), 1011],
    ["a text frame with invalid UTF-8", (a) => a.send(Buffer.from([0x5b, 0xff, 0xfe, 0x5d]), false), 1007],
  ];
  for (const [what, send, code] of closing) {
    test(`${what} closes only that connection, with ${code}`, async () => {
      const b = await bystander();
      const a = await joined();
      send(a);
      expect(await a.next()).toEqual({ type: "close", code });
      await stillHealthy(b);
    });
  }

  test("a frame over the socket's max frame size closes with 1009", async () => {
    const b = await bystander();
    const a = await joined("/limited_socket");
    a.send(`["1","2","room:a","echo",{"pad":"${"x".repeat(2000)}"}]`);
    expect(await a.next()).toEqual({ type: "close", code: 1009 });
    await stillHealthy(b);
  });

  test("a binary frame on a V1 socket closes with 1011", async () => {
    const b = await bystander();
    const a = await connect("/socket", "1.0.0");
    a.send(Buffer.from([0, 1, 1, 1, 1]));
    expect(await a.next()).toEqual({ type: "close", code: 1011 });
    await stillHealthy(b);
  });

  test("a push to a topic that was never joined answers 'unmatched topic' and keeps the connection", async () => {
    const b = await bystander();
    const a = await connect();
    a.send('["7","8","room:other","echo",{}]');
    expect(await a.text()).toEqual([null, "8", "room:other", "phx_reply", { response: { reason: "unmatched topic" }, status: "error" }]);
    a.send('[null,"9","phoenix","heartbeat",{}]');
    expect(await a.text()).toEqual([null, "9", "phoenix", "phx_reply", { response: {}, status: "ok" }]);
    await stillHealthy(b);
  });

  test("a join whose payload is not an object crashes the join ('join crashed'), not the connection", async () => {
    const b = await bystander();
    const a = await connect();
    a.send('["1","1","room:a","phx_join","str"]');
    expect(await a.text()).toEqual(["1", "1", "room:a", "phx_reply", { response: { reason: "join crashed" }, status: "error" }]);
    a.send('["2","2","room:a","phx_join",{}]');
    expect(await a.text()).toEqual(["2", "2", "room:a", "phx_reply", { response: {}, status: "ok" }]);
    await stillHealthy(b);
  });

  test("an event the channel has no handler for crashes that channel only (phx_error)", async () => {
    const b = await bystander();
    const a = await joined();
    a.send('["1","2","room:a","no_such_event",{}]');
    expect(await a.text()).toEqual(["1", "1", "room:a", "phx_error", {}]);
    a.send('[null,"3","phoenix","heartbeat",{}]');
    expect(await a.text()).toEqual([null, "3", "phoenix", "phx_reply", { response: {}, status: "ok" }]);
    await stillHealthy(b);
  });

  test("binary handlers given JSON crash the channel, not the server", async () => {
    const b = await bystander();
    const a = await joined();
    a.send('["1","2","room:a","binary_size",{}]');
    expect(await a.text()).toEqual(["1", "1", "room:a", "phx_error", {}]);
    await stillHealthy(b);
  });

  test("a flood of frames queued behind a slow join closes that connection with 1008", async () => {
    const b = await bystander();
    const a = await connect();
    a.send('["1","1","slow:x","phx_join",{"sleep_ms":5000}]');
    for (let i = 0; i < 10_001; i++) a.send(`[null,"${i}","phoenix","heartbeat",{}]`);
    expect(await a.next(4000)).toEqual({ type: "close", code: 1008 });
    await stillHealthy(b);
  });

  test("a burst of random frames never takes the server down", async () => {
    const b = await bystander();
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let round = 0; round < 20; round++) {
      const a = await connect("/socket", round % 3 === 0 ? "1.0.0" : "2.0.0");
      const bytes = Buffer.alloc(1 + Math.floor(rand() * 40));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rand() * 256);
      if (rand() < 0.5) bytes[0] = 0;
      a.send(bytes, rand() < 0.5);
      const ev = await a.next(1000);
      // whatever happened, the answer is a close with a protocol code, or nothing / an error reply
      if (ev?.type === "close") expect([1007, 1011]).toContain(ev.code);
      a.close();
    }
    await stillHealthy(b);
  });

  test("handshakes with an unknown vsn, or for an unknown path, are refused with an HTTP status", async () => {
    const b = await bystander();
    for (const [url, status] of [
      [`ws://127.0.0.1:${port}/socket/websocket?vsn=3.0.0`, 403],
      [`ws://127.0.0.1:${port}/nope/websocket?vsn=2.0.0`, 404],
      [`ws://127.0.0.1:${port}/short_socket/websocket?vsn=2.0.0`, 404],
    ] as const) {
      const ws = new WebSocket(url);
      const got = await new Promise<number>((resolve) => {
        ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.on("open", () => resolve(101));
        ws.on("error", () => resolve(-1));
      });
      ws.terminate();
      expect(got).toBe(status);
    }
    await stillHealthy(b);
  });
});
