/**
 * Differential: the LongPoll transport over a scripted `fetch` (stubbed on globalThis, which
 * both implementations read at request time), run against phoenix.js 1.8.16 (the oracle) and
 * ours with the same expectations. Real timers: LongPoll is promise driven.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
import { afterEach, describe, expect, it, vi } from "vitest";
import { IMPLS, useCompatCleanup } from "./impls";

useCompatCleanup();

interface Req {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  respond(body: unknown): void;
  aborted: boolean;
}

/** A fetch whose requests wait until the test answers them (JSON bodies); aborts reject. */
function scriptedFetch(): { requests: Req[]; fetch: (url: string, init: any) => Promise<unknown> } {
  const requests: Req[] = [];
  const fetch = (url: string, init: any): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      const h = init?.headers ?? {};
      if (typeof h.forEach === "function" && !(h instanceof Object && !("forEach" in h))) {
        try {
          h.forEach((v: string, k: string) => {
            headers[k.toLowerCase()] = v;
          });
        } catch {
          /* plain object below */
        }
      }
      for (const [k, v] of Object.entries(h)) headers[k.toLowerCase()] = String(v);
      const req: Req = {
        url: String(url),
        method: init?.method ?? "GET",
        headers,
        body: init?.body ?? null,
        aborted: false,
        respond(body) {
          const text = JSON.stringify(body);
          resolve({ ok: true, status: 200, text: () => Promise.resolve(text), json: () => Promise.resolve(JSON.parse(text)) });
        },
      };
      init?.signal?.addEventListener?.("abort", () => {
        req.aborted = true;
        const err = new Error("aborted");
        err.name = "AbortError";
        reject(err);
      });
      requests.push(req);
    });
  return { requests, fetch };
}

const opened: Array<{ close: () => void }> = [];
afterEach(() => {
  while (opened.length) {
    try {
      opened.pop()!.close();
    } catch {
      /* already closed */
    }
  }
});

describe.each(IMPLS)("LongPoll (%s)", (_name, impl) => {
  function open(url = "ws://h.example/socket/websocket?vsn=2.0.0", protocols?: string[]): { lp: any; requests: Req[] } {
    const { requests, fetch } = scriptedFetch();
    vi.stubGlobal("fetch", fetch);
    const lp = protocols ? new impl.LongPoll(url, protocols) : new impl.LongPoll(url);
    lp.timeout = 20000;
    opened.push({ close: () => lp.readyState !== 3 && lp.close() });
    return { lp, requests };
  }
  const nth = async (requests: Req[], n: number): Promise<Req> => {
    await vi.waitFor(() => expect(requests.length).toBeGreaterThan(n), { timeout: 2000, interval: 2 });
    return requests[n]!;
  };

  it("polls the https longpoll endpoint for a wss websocket endpoint", async () => {
    const { requests } = open("wss://h.example/live/websocket?vsn=2.0.0");
    const first = await nth(requests, 0);
    expect(first.url.startsWith("https://h.example/live/longpoll?vsn=2.0.0")).toBe(true);
  });

  it("starts connecting, skips socket heartbeats, and polls with GET accepting JSON", async () => {
    const { lp, requests } = open();
    expect(lp.readyState).toBe(0);
    expect(lp.skipHeartbeat).toBe(true);
    const first = await nth(requests, 0);
    expect(first.method).toBe("GET");
    expect(first.url.startsWith("http://h.example/socket/longpoll?vsn=2.0.0")).toBe(true);
    expect(first.headers["accept"]).toBe("application/json");
  });

  it("opens on the 410 handshake and polls again with the session token", async () => {
    const { lp, requests } = open();
    const onopen = vi.fn();
    lp.onopen = onopen;
    (await nth(requests, 0)).respond({ status: 410, token: "tok1" });
    const second = await nth(requests, 1);
    expect(onopen).toHaveBeenCalledTimes(1);
    expect(lp.readyState).toBe(1);
    expect(second.url).toBe("http://h.example/socket/longpoll?vsn=2.0.0&token=tok1");
  });

  it("delivers each polled message to onmessage as {data}, in order, then polls again", async () => {
    const { lp, requests } = open();
    const got: unknown[] = [];
    lp.onmessage = (e: { data: unknown }) => got.push(e.data);
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    (await nth(requests, 1)).respond({ status: 200, token: "t", messages: ['[null,null,"a","x",{}]', '[null,null,"a","y",{}]'] });
    await nth(requests, 2);
    await vi.waitFor(() => expect(got).toEqual(['[null,null,"a","x",{}]', '[null,null,"a","y",{}]']), { timeout: 2000, interval: 2 });
  });

  it("polls again after a 204", async () => {
    const { requests } = open();
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    (await nth(requests, 1)).respond({ status: 204, token: "t" });
    const third = await nth(requests, 2);
    expect(third.method).toBe("GET");
  });

  it("batches sends made in one tick into one ndjson POST", async () => {
    const { lp, requests } = open();
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    await nth(requests, 1);
    lp.send('["1","1","a","phx_join",{}]');
    lp.send('["1","2","a","msg",{}]');
    const post = await nth(requests, 2);
    expect(post.method).toBe("POST");
    expect(post.headers["content-type"]).toBe("application/x-ndjson");
    expect(post.body).toBe('["1","1","a","phx_join",{}]\n["1","2","a","msg",{}]');
    expect(post.url).toBe("http://h.example/socket/longpoll?vsn=2.0.0&token=t");
  });

  it("close(code, reason) stops polling and reports the close", async () => {
    const { lp, requests } = open();
    const onclose = vi.fn();
    lp.onclose = onclose;
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    const pending = await nth(requests, 1);
    lp.close(1000, "bye");
    expect(lp.readyState).toBe(3);
    expect(onclose).toHaveBeenCalledTimes(1);
    expect(onclose.mock.calls[0]![0]).toMatchObject({ code: 1000, reason: "bye" });
    await vi.waitFor(() => expect(pending.aborted).toBe(true), { timeout: 2000, interval: 2 });
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(2);
  });

  it("a 403 reports an error and closes with 1008", async () => {
    const { lp, requests } = open();
    const onerror = vi.fn();
    const onclose = vi.fn();
    lp.onerror = onerror;
    lp.onclose = onclose;
    (await nth(requests, 0)).respond({ status: 403 });
    await vi.waitFor(() => expect(onclose).toHaveBeenCalledTimes(1), { timeout: 2000, interval: 2 });
    expect(onerror).toHaveBeenCalledTimes(1);
    expect(onclose.mock.calls[0]![0]).toMatchObject({ code: 1008 });
    expect(lp.readyState).toBe(3);
  });

  it("a 500 reports an error and a 1011 close", async () => {
    const { lp, requests } = open();
    const onerror = vi.fn();
    const onclose = vi.fn();
    lp.onerror = onerror;
    lp.onclose = onclose;
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    (await nth(requests, 1)).respond({ status: 500 });
    await vi.waitFor(() => expect(onclose).toHaveBeenCalledTimes(1), { timeout: 2000, interval: 2 });
    expect(onerror).toHaveBeenCalledTimes(1);
    expect(onclose.mock.calls[0]![0]).toMatchObject({ code: 1011, wasClean: false });
  });

  it("sends the auth token from the sub-protocols as the X-Phoenix-AuthToken header", async () => {
    const token = Buffer.from("secret").toString("base64").replace(/=/g, "");
    const { requests } = open("ws://h.example/socket/websocket?vsn=2.0.0", ["phoenix", `base64url.bearer.phx.${token}`]);
    const first = await nth(requests, 0);
    expect(first.headers["x-phoenix-authtoken"]).toBe("secret");
  });

  it("carries a socket's channel join over LongPoll", async () => {
    const { requests, fetch } = scriptedFetch();
    vi.stubGlobal("fetch", fetch);
    const socket = new impl.Socket("ws://h.example/socket", { transport: impl.LongPoll });
    opened.push({ close: () => socket.disconnect() });
    socket.connect();
    const channel = socket.channel("room:1");
    const ok = vi.fn();
    channel.join().receive("ok", ok);
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    const post = await vi.waitFor(
      () => {
        const p = requests.find((r) => r.method === "POST");
        expect(p).toBeDefined();
        return p!;
      },
      { timeout: 2000, interval: 2 },
    );
    const [joinRef, ref, topic, event] = JSON.parse(String(post.body));
    expect([topic, event]).toEqual(["room:1", "phx_join"]);
    post.respond({ status: 200 });
    const poll = requests.filter((r) => r.method === "GET").pop()!;
    poll.respond({ status: 200, token: "t", messages: [JSON.stringify([joinRef, ref, "room:1", "phx_reply", { status: "ok", response: { hi: 1 } }])] });
    await vi.waitFor(() => expect(ok).toHaveBeenCalledWith({ hi: 1 }), { timeout: 2000, interval: 2 });
    expect(channel.state).toBe("joined");
  });

  it("a LongPoll exposes pollEndpoint, the http(s) longpoll URL made from the websocket one", () => {
    vi.stubGlobal("fetch", () => new Promise(() => {}));
    const lp = new impl.LongPoll("wss://h.example/live/websocket?vsn=2.0.0");
    try {
      expect(lp.pollEndpoint).toBe("https://h.example/live/longpoll?vsn=2.0.0");
    } finally {
      lp.close();
    }
  });

  it("a 410 after the handshake reports an error and closes with 3410 session_gone", async () => {
    const { lp, requests } = open();
    const onerror = vi.fn(); const onclose = vi.fn();
    lp.onerror = onerror; lp.onclose = onclose;
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    (await nth(requests, 1)).respond({ status: 410, token: "t2" });
    await vi.waitFor(() => expect(onclose).toHaveBeenCalledTimes(1), { timeout: 2000, interval: 2 });
    expect(onerror).toHaveBeenCalledTimes(1);
    expect(onclose.mock.calls[0]![0]).toMatchObject({ code: 3410, reason: "session_gone", wasClean: false });
  });

  it("sends an ArrayBuffer as base64 text", async () => {
    const { lp, requests } = open();
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    await nth(requests, 1);
    lp.send(new Uint8Array([0, 1, 2, 255]).buffer);
    const post = await nth(requests, 2);
    expect(post.body).toBe(Buffer.from([0, 1, 2, 255]).toString("base64"));
  });

  it("splits 150 sends into POSTs of 100 and 50", async () => {
    const { lp, requests } = open();
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    await nth(requests, 1);
    for (let i = 0; i < 150; i++) lp.send(`m${i}`);
    const post = await nth(requests, 2);
    expect(String(post.body).split("\n")).toHaveLength(100);
    post.respond({ status: 200 });
    const post2 = await nth(requests, 3);
    expect(String(post2.body).split("\n")).toHaveLength(50);
  });

  it("sends made while a batch is unacknowledged go in the next batch", async () => {
    const { lp, requests } = open();
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    await nth(requests, 1);
    lp.send("a");
    const post = await nth(requests, 2);
    lp.send("b"); lp.send("c");
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(3);
    post.respond({ status: 200 });
    const post2 = await nth(requests, 3);
    expect(post2.body).toBe("b\nc");
  });

  it("a failed POST reports an error and closes with 1011", async () => {
    const { lp, requests } = open();
    const onclose = vi.fn(); const onerror = vi.fn();
    lp.onclose = onclose; lp.onerror = onerror;
    (await nth(requests, 0)).respond({ status: 410, token: "t" });
    await nth(requests, 1);
    lp.send("a");
    (await nth(requests, 2)).respond({ status: 500 });
    await vi.waitFor(() => expect(onclose).toHaveBeenCalledTimes(1), { timeout: 2000, interval: 2 });
    expect(onclose.mock.calls[0]![0]).toMatchObject({ code: 1011 });
    expect(onerror).toHaveBeenCalledTimes(1);
  });

  it("a poll that gets no answer within timeout reports an error and closes with 1005 timeout", async () => {
    const { lp, requests } = open();
    lp.timeout = 50;
    const onclose = vi.fn(); const onerror = vi.fn();
    lp.onclose = onclose; lp.onerror = onerror;
    await nth(requests, 0);
    await vi.waitFor(() => expect(onclose).toHaveBeenCalledTimes(1), { timeout: 2000, interval: 2 });
    expect(onerror).toHaveBeenCalledTimes(1);
    expect(onclose.mock.calls[0]![0]).toMatchObject({ code: 1005, reason: "timeout", wasClean: false });
  });

  it("a fetch that rejects reports an error and closes with 1011", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("fetch failed")));
    const lp = new impl.LongPoll("ws://h.example/socket/websocket?vsn=2.0.0");
    opened.push({ close: () => lp.readyState !== 3 && lp.close() });
    const onclose = vi.fn(); const onerror = vi.fn();
    lp.onclose = onclose; lp.onerror = onerror;
    await vi.waitFor(() => expect(onclose).toHaveBeenCalledTimes(1), { timeout: 2000, interval: 2 });
    expect(onerror).toHaveBeenCalledTimes(1);
    expect(onclose.mock.calls[0]![0]).toMatchObject({ code: 1011, reason: "internal server error" });
  });

  it("close() without arguments reports code 1005 and wasClean true", async () => {
    const { lp } = open();
    const onclose = vi.fn(); lp.onclose = onclose;
    lp.close();
    expect(onclose.mock.calls[0]![0]).toMatchObject({ code: 1005, wasClean: true });
  });
});
