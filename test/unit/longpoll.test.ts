import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConnectionError, UsageError } from "../../src/errors";
import {
  LongPoll,
  LongPollError,
  decodeBase64,
  encodeBase64,
  toLongPollURL,
  type LongPollCloseEvent,
  type LongPollFetch,
  type LongPollRequestInit,
  type LongPollResponse,
} from "../../src/transports/longpoll";

/** One request the transport made, answerable by the test. */
interface Call {
  url: string;
  init: LongPollRequestInit;
  aborted: boolean;
  settled: boolean;
  reply(body: unknown, httpStatus?: number): void;
  replyText(text: string, httpStatus?: number): void;
  failNetwork(error?: unknown): void;
}

/** A fake fetch: requests stay pending until the test answers them; abort rejects them. */
function fakeFetch(): { fetch: LongPollFetch; calls: Call[]; pending(): Call[] } {
  const calls: Call[] = [];
  const fetch: LongPollFetch = (url, init) =>
    new Promise<LongPollResponse>((resolve, reject) => {
      const call: Call = {
        url,
        init,
        aborted: false,
        settled: false,
        replyText(text, httpStatus = 200) {
          if (call.settled) return;
          call.settled = true;
          resolve({ status: httpStatus, text: () => Promise.resolve(text) });
        },
        reply(body, httpStatus = 200) {
          call.replyText(JSON.stringify(body), httpStatus);
        },
        failNetwork(error = new TypeError("fetch failed")) {
          if (call.settled) return;
          call.settled = true;
          reject(error);
        },
      };
      init.signal?.addEventListener("abort", () => {
        call.aborted = true;
        call.failNetwork(new DOMException("aborted", "AbortError"));
      });
      calls.push(call);
    });
  return { fetch, calls, pending: () => calls.filter((c) => !c.settled) };
}

interface Recorded {
  lp: LongPoll;
  events: string[];
  messages: Array<string | ArrayBuffer>;
  errors: LongPollError[];
  closes: LongPollCloseEvent[];
}

function record(lp: LongPoll): Recorded {
  const r: Recorded = { lp, events: [], messages: [], errors: [], closes: [] };
  lp.onopen = () => r.events.push("open");
  lp.onmessage = ({ data }) => {
    r.events.push("message");
    r.messages.push(data);
  };
  lp.onerror = (e) => {
    r.events.push("error");
    r.errors.push(e);
  };
  lp.onclose = (e) => {
    r.events.push("close");
    r.closes.push(e);
  };
  return r;
}

const ENDPOINT = "ws://example.test/socket/websocket?vsn=2.0.0";
const flush = () => vi.advanceTimersByTimeAsync(0);
/** Lets settled fetches reach the transport without running any timer. */
async function drainMicrotasks(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

async function openSession(fake: ReturnType<typeof fakeFetch>, protocols?: string[]): Promise<Recorded> {
  const r = record(new LongPoll(ENDPOINT, protocols, { fetch: fake.fetch }));
  await flush();
  fake.calls.at(-1)!.reply({ status: 410, token: "T1", messages: [] });
  await flush();
  return r;
}

function lastCall(fake: ReturnType<typeof fakeFetch>): Call {
  return fake.calls.at(-1)!;
}

let live: LongPoll[] = [];
beforeEach(() => {
  vi.useFakeTimers();
  live = [];
});
afterEach(() => {
  for (const lp of live) lp.close();
  LongPoll.fetch = null;
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("LongPoll endpoint", () => {
  it("turns the socket's WebSocket URL into the long-poll URL, keeping the query", () => {
    expect(toLongPollURL("ws://h:4000/socket/websocket?vsn=2.0.0&a=1")).toBe("http://h:4000/socket/longpoll?vsn=2.0.0&a=1");
    expect(toLongPollURL("wss://h/socket/websocket")).toBe("https://h/socket/longpoll");
    expect(toLongPollURL("https://h/socket/websocket?x=websocket")).toBe("https://h/socket/longpoll?x=websocket");
    expect(toLongPollURL("/socket/longpoll?vsn=2.0.0")).toBe("/socket/longpoll?vsn=2.0.0");
  });

  it("exposes the long-poll URL as pollEndpoint too, phoenix.js's name for it", () => {
    vi.stubGlobal("fetch", () => new Promise(() => {}));
    const lp = new LongPoll("wss://h.example/live/websocket?vsn=2.0.0");
    expect(lp.pollEndpoint).toBe("https://h.example/live/longpoll?vsn=2.0.0");
    expect(lp.url).toBe(lp.pollEndpoint);
    lp.close();
  });

  it("refuses an empty endpoint with a UsageError", () => {
    expect(() => new LongPoll("")).toThrow(UsageError);
  });
});

describe("LongPoll session", () => {
  it("opens when the first GET (without token) is answered 410 with a token, then polls with that token", async () => {
    const fake = fakeFetch();
    const r = record(new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch }));
    live.push(r.lp);
    expect(r.lp.readyState).toBe(0);
    expect(fake.calls).toHaveLength(0); // deferred so callbacks can be set first
    await flush();
    expect(fake.calls).toHaveLength(1);
    const first = fake.calls[0]!;
    expect(first.init.method).toBe("GET");
    expect(first.url).toBe("http://example.test/socket/longpoll?vsn=2.0.0");
    expect(first.init.headers["Accept"]).toBe("application/json");

    first.reply({ status: 410, token: "SFMy.tok/en+", messages: [] });
    await flush();
    expect(r.lp.readyState).toBe(1);
    expect(r.events).toEqual(["open"]);
    expect(fake.calls).toHaveLength(2);
    const second = fake.calls[1]!;
    expect(second.url).toBe("http://example.test/socket/longpoll?vsn=2.0.0&token=SFMy.tok%2Fen%2B");
    expect(Object.keys(second.init.headers).map((h) => h.toLowerCase())).not.toContain("x-phoenix-longpoll-token");
  });

  it("replaces a connect param named token with the session token once the session exists", async () => {
    const fake = fakeFetch();
    const lp = new LongPoll("ws://h/socket/websocket?token=user-secret&vsn=2.0.0", undefined, { fetch: fake.fetch });
    live.push(lp);
    await flush();
    expect(fake.calls[0]!.url).toBe("http://h/socket/longpoll?token=user-secret&vsn=2.0.0");
    fake.calls[0]!.reply({ status: 410, token: "S", messages: [] });
    await flush();
    expect(fake.calls[1]!.url).toBe("http://h/socket/longpoll?vsn=2.0.0&token=S");
  });

  it("keeps polling after a 204 and picks up a refreshed token", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    live.push(r.lp);
    lastCall(fake).reply({ status: 204, token: "T2", messages: [] });
    await flush();
    expect(fake.calls).toHaveLength(3);
    expect(lastCall(fake).url).toContain("token=T2");
    expect(r.events).toEqual(["open"]);
  });

  it("sends the auth token from the bearer sub-protocol raw in X-Phoenix-AuthToken on polls", async () => {
    const fake = fakeFetch();
    // "s3cr?t>" encodes to "czNjcj90Pg" in the URL alphabet... use bytes that differ between alphabets.
    const token = "tok\u00fb\u00ff?>";
    const std = encodeBase64(Uint8Array.from(token, (c) => c.charCodeAt(0))).replace(/=+$/, "");
    const url = std.replace(/\+/g, "-").replace(/\//g, "_");
    expect(std).not.toBe(url);
    for (const encoded of [std, url]) {
      const r = await openSession(fake, ["phoenix", `base64url.bearer.phx.${encoded}`]);
      live.push(r.lp);
      expect(lastCall(fake).init.method).toBe("GET");
      expect(lastCall(fake).init.headers["X-Phoenix-AuthToken"]).toBe(token);
      r.lp.send("[]");
      await flush();
      expect(lastCall(fake).init.method).toBe("POST");
      expect(lastCall(fake).init.headers["X-Phoenix-AuthToken"]).toBeUndefined();
      r.lp.close();
    }
  });

  it("rejects a bearer sub-protocol that is not base64 with a UsageError", () => {
    expect(() => new LongPoll(ENDPOINT, ["phoenix", "base64url.bearer.phx.%%%"])).toThrow(UsageError);
  });

  it("sends no auth header when no bearer sub-protocol is offered", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake, ["phoenix"]);
    live.push(r.lp);
    expect(lastCall(fake).init.headers["X-Phoenix-AuthToken"]).toBeUndefined();
  });
});

describe("LongPoll message delivery", () => {
  it("delivers a poll's messages in order, each in its own task, and polls again at once", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    live.push(r.lp);
    const log: string[] = [];
    r.lp.onmessage = ({ data }) => {
      log.push(String(data));
      // A promise resolved by one message's handler settles before the next message arrives.
      void Promise.resolve().then(() => log.push(`after ${String(data)}`));
    };
    lastCall(fake).reply({ status: 200, token: "T1", messages: ["[1]", "[2]", "[3]"] });
    await vi.advanceTimersByTimeAsync(0);
    await vi.advanceTimersByTimeAsync(0);
    expect(log).toEqual(["[1]", "after [1]", "[2]", "after [2]", "[3]", "after [3]"]);
    expect(fake.calls).toHaveLength(3);
    expect(lastCall(fake).init.method).toBe("GET");
  });

  it("keeps delivering and polling when a message handler throws", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    live.push(r.lp);
    const seen: string[] = [];
    r.lp.onmessage = ({ data }) => {
      seen.push(String(data));
      if (data === "[1]") throw new Error("app bug");
    };
    lastCall(fake).reply({ status: 200, token: "T1", messages: ["[1]", "[2]"] });
    await drainMicrotasks();
    expect(seen).toEqual([]);
    // The handler's error surfaces from its own task; the remaining tasks still run.
    expect(() => vi.advanceTimersByTime(0)).toThrow("app bug");
    expect(seen).toEqual(["[1]", "[2]"]);
    expect(r.lp.readyState).toBe(1);
    expect(fake.calls).toHaveLength(3);
    expect(fake.pending().map((c) => c.init.method)).toEqual(["GET"]);
  });

  it("decodes base64 messages from the server into ArrayBuffers and passes text messages through", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    live.push(r.lp);
    const bytes = Uint8Array.from([2, 4, 3, 114, 111, 111, 109, 1, 2, 0xff]);
    lastCall(fake).reply({
      status: 200,
      messages: [encodeBase64(bytes), '["1",null,"t","e",{}]', '{"topic":"t"}', "not base64!"],
    });
    await flush();
    await flush();
    expect(r.messages).toHaveLength(4);
    expect(r.messages[0]).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(r.messages[0] as ArrayBuffer)]).toEqual([...bytes]);
    expect(r.messages.slice(1)).toEqual(['["1",null,"t","e",{}]', '{"topic":"t"}', "not base64!"]);
  });
});

describe("LongPoll failures", () => {
  async function failWith(answer: (call: Call) => void) {
    const fake = fakeFetch();
    const r = await openSession(fake);
    answer(lastCall(fake));
    await flush();
    return { r, fake };
  }

  it("reports a 410 on an open session as session gone, so the socket reconnects and rejoins", async () => {
    const { r, fake } = await failWith((c) => c.reply({ status: 410, token: "NEW", messages: [] }));
    expect(r.events).toEqual(["open", "error", "close"]);
    expect(r.errors[0]).toBeInstanceOf(ConnectionError);
    expect(r.errors[0]!.reason).toBe("session_gone");
    expect(r.errors[0]!.status).toBe(410);
    expect(r.closes[0]).toMatchObject({ code: 3410, reason: "session_gone", wasClean: false });
    expect(r.lp.readyState).toBe(3);
    expect(fake.calls).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("reports a 403 as forbidden and closes with 1008", async () => {
    const fake = fakeFetch();
    const r = record(new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch }));
    await flush();
    lastCall(fake).reply({ status: 403 });
    await flush();
    expect(r.events).toEqual(["error", "close"]);
    expect(r.errors[0]!.reason).toBe("forbidden");
    expect(r.closes[0]).toMatchObject({ code: 1008, wasClean: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("closes on a server error, in the body or as HTTP 500, so the socket retries with backoff", async () => {
    for (const answer of [(c: Call) => c.reply({ status: 500 }), (c: Call) => c.replyText("boom", 500)]) {
      const { r } = await failWith(answer);
      expect(r.errors[0]!.reason).toBe("server_error");
      expect(r.errors[0]!.status).toBe(500);
      expect(r.closes[0]).toMatchObject({ code: 1011, wasClean: false });
      expect(r.lp.readyState).toBe(3);
    }
    expect(vi.getTimerCount()).toBe(0);
  });

  it("closes on a network error, keeping the fetch error as cause", async () => {
    const cause = new TypeError("connection refused");
    const { r } = await failWith((c) => c.failNetwork(cause));
    expect(r.errors[0]!.reason).toBe("network");
    expect(r.errors[0]!.cause).toBe(cause);
    expect(r.closes[0]).toMatchObject({ code: 1011, wasClean: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("closes on an answer that is not the protocol's JSON", async () => {
    for (const text of ["<html>proxy</html>", "[1,2]", '{"messages":[]}']) {
      const { r } = await failWith((c) => c.replyText(text));
      expect(r.errors[0]!.reason).toBe("bad_response");
      expect(r.closes[0]!.code).toBe(1011);
    }
  });

  it("gives up on a request unanswered within timeout, aborting it", async () => {
    const fake = fakeFetch();
    const r = record(new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch }));
    r.lp.timeout = 500;
    await flush();
    lastCall(fake).reply({ status: 410, token: "T", messages: [] });
    await flush();
    const poll = lastCall(fake);
    await vi.advanceTimersByTimeAsync(499);
    expect(r.events).toEqual(["open"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(poll.aborted).toBe(true);
    expect(r.events).toEqual(["open", "error", "close"]);
    expect(r.errors[0]!.reason).toBe("timeout");
    expect(r.closes[0]).toMatchObject({ code: 1005, reason: "timeout", wasClean: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("still closes when the app's onerror throws", async () => {
    const fake = fakeFetch();
    const r = record(new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch }));
    r.lp.timeout = 100;
    r.lp.onerror = () => {
      throw new Error("handler bug");
    };
    await flush();
    expect(() => vi.advanceTimersByTime(100)).toThrow("handler bug");
    expect(r.closes).toHaveLength(1);
    expect(r.lp.readyState).toBe(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("closes on answers that break the protocol: 200 without messages, 410 without token", async () => {
    const { r } = await failWith((c) => c.reply({ status: 200, token: "T1" }));
    expect(r.errors[0]).toMatchObject({ reason: "bad_response", status: 200 });
    const fake = fakeFetch();
    const r2 = record(new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch }));
    await flush();
    lastCall(fake).reply({ status: 410, messages: [] });
    await flush();
    expect(r2.errors[0]).toMatchObject({ reason: "bad_response", status: 410 });
    expect(r2.events).toEqual(["error", "close"]);
  });

  it("treats a bare HTTP 403 as forbidden and another HTTP error as a server error", async () => {
    const { r } = await failWith((c) => c.replyText("Forbidden", 403));
    expect(r.errors[0]).toMatchObject({ reason: "forbidden", status: 403 });
    expect(r.closes[0]!.code).toBe(1008);
    const { r: r2 } = await failWith((c) => c.reply({ status: 200, messages: [] }, 404));
    expect(r2.errors[0]).toMatchObject({ reason: "server_error", status: 404 });
  });

  it("reports a fetch that throws synchronously as a network error", async () => {
    const boom = new TypeError("bad init");
    const r = record(
      new LongPoll(ENDPOINT, undefined, {
        fetch: () => {
          throw boom;
        },
      }),
    );
    await flush();
    expect(r.errors[0]).toMatchObject({ reason: "network", cause: boom });
    expect(vi.getTimerCount()).toBe(0);
  });

  it("surfaces an error thrown by onopen as the app's own error, and keeps polling", async () => {
    const tasks: Array<() => void> = [];
    vi.stubGlobal("queueMicrotask", (task: () => void) => tasks.push(task));
    const fake = fakeFetch();
    const lp = new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch });
    live.push(lp);
    lp.onopen = () => {
      throw new Error("open handler bug");
    };
    await flush();
    lastCall(fake).reply({ status: 410, token: "T", messages: [] });
    await flush();
    expect(tasks).toHaveLength(1);
    expect(() => tasks[0]!()).toThrow("open handler bug");
    expect(lp.readyState).toBe(1);
    expect(fake.calls).toHaveLength(2);
  });

  it("reports a missing fetch as unsupported instead of throwing", async () => {
    vi.stubGlobal("fetch", undefined);
    const r = record(new LongPoll(ENDPOINT));
    await flush();
    expect(r.errors[0]!.reason).toBe("unsupported");
    expect(r.lp.readyState).toBe(3);
  });
});

describe("LongPoll sending", () => {
  it("sends the pushes of one tick as a single ndjson POST with the session token", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    live.push(r.lp);
    r.lp.send('["1","1","room:a","phx_join",{}]');
    r.lp.send('["1","2","room:a","echo",{}]');
    expect(fake.calls).toHaveLength(2); // nothing sent before the tick ends
    await flush();
    const post = lastCall(fake);
    expect(post.init.method).toBe("POST");
    expect(post.init.headers["Content-Type"]).toBe("application/x-ndjson");
    expect(post.url).toContain("token=T1");
    expect(post.init.body).toBe('["1","1","room:a","phx_join",{}]\n["1","2","room:a","echo",{}]');
  });

  it("splits 250 pushes into 3 POSTs of at most 100, each sent only after the previous is acknowledged", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    live.push(r.lp);
    for (let i = 0; i < 250; i++) r.lp.send(`[${i}]`);
    await flush();
    const posts = () => fake.calls.filter((c) => c.init.method === "POST");
    expect(posts()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(posts()).toHaveLength(1);
    posts()[0]!.reply({ status: 200 });
    await flush();
    expect(posts()).toHaveLength(2);
    posts()[1]!.reply({ status: 200 });
    await flush();
    expect(posts()).toHaveLength(3);
    posts()[2]!.reply({ status: 200 });
    await flush();
    expect(posts()).toHaveLength(3);
    const lines = posts().map((p) => p.init.body!.split("\n"));
    expect(lines.map((l) => l.length)).toEqual([100, 100, 50]);
    expect(lines.flat()).toEqual(Array.from({ length: 250 }, (_, i) => `[${i}]`));
  });

  it("holds pushes made while a POST is in flight and sends them together after its acknowledgement", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    live.push(r.lp);
    r.lp.send("[1]");
    await flush();
    r.lp.send("[2]");
    await flush();
    r.lp.send("[3]");
    await flush();
    const posts = () => fake.calls.filter((c) => c.init.method === "POST");
    expect(posts()).toHaveLength(1);
    posts()[0]!.reply({ status: 200 });
    await flush();
    expect(posts().map((p) => p.init.body)).toEqual(["[1]", "[2]\n[3]"]);
  });

  it("sends a binary push as a base64 line", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    live.push(r.lp);
    const frame = Uint8Array.from([0, 1, 1, 10, 11, 0x31, 0x32, 0xfa, 0xff]);
    r.lp.send(frame.buffer);
    r.lp.send(frame.subarray(1, 3));
    await flush();
    const [a, b] = lastCall(fake).init.body!.split("\n");
    expect([...decodeBase64(a!)!]).toEqual([...frame]);
    expect([...decodeBase64(b!)!]).toEqual([1, 1]);
  });

  it("closes with session gone when a POST is answered 410", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    r.lp.send("[1]");
    await flush();
    lastCall(fake).reply({ status: 410 });
    await flush();
    expect(r.errors[0]).toMatchObject({ reason: "session_gone", method: "POST" });
    expect(r.closes[0]!.code).toBe(3410);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("fails on a POST answered with another status, e.g. 403 or 408", async () => {
    for (const [status, reason, code] of [
      [403, "forbidden", 1008],
      [408, "server_error", 1011],
    ] as const) {
      const fake = fakeFetch();
      const r = await openSession(fake);
      r.lp.send("[1]");
      await flush();
      lastCall(fake).reply({ status });
      await flush();
      expect(r.errors[0]).toMatchObject({ reason, method: "POST", status });
      expect(r.closes[0]!.code).toBe(code);
    }
    expect(vi.getTimerCount()).toBe(0);
  });

  it("drops pushes not yet flushed when closed in the same tick", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    r.lp.send("[1]");
    r.lp.close();
    expect(vi.getTimerCount()).toBe(0);
    await flush();
    expect(fake.calls.filter((c) => c.init.method === "POST")).toHaveLength(0);
  });

  it("refuses to send before the session is open and drops sends after close", async () => {
    const fake = fakeFetch();
    const r = record(new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch }));
    expect(() => r.lp.send("[1]")).toThrow(UsageError);
    expect(() => r.lp.send(42 as unknown as string)).toThrow(UsageError);
    r.lp.close();
    expect(() => r.lp.send("[1]")).not.toThrow();
    await flush();
    expect(fake.calls).toHaveLength(0);
  });
});

describe("LongPoll close", () => {
  it("aborts the poll and the POST in flight, reports onclose at once and leaves no timer", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    r.lp.send("[1]");
    await flush();
    r.lp.send("[2]"); // queued behind the unacknowledged POST
    const inFlight = fake.pending();
    expect(inFlight.map((c) => c.init.method).sort()).toEqual(["GET", "POST"]);
    r.lp.close(1000, "bye");
    expect(r.closes).toEqual([{ type: "close", code: 1000, reason: "bye", wasClean: true }]);
    expect(r.lp.readyState).toBe(3);
    expect(inFlight.every((c) => c.aborted)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(60000);
    expect(fake.calls).toHaveLength(3);
    expect(r.events).toEqual(["open", "close"]);
  });

  it("drops undelivered messages and ignores late answers once closed", async () => {
    const fake = fakeFetch();
    const r = await openSession(fake);
    lastCall(fake).reply({ status: 200, messages: ["[1]", "[2]"] });
    await drainMicrotasks();
    expect(vi.getTimerCount()).toBeGreaterThan(1); // the deliveries are scheduled
    r.lp.close();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(r.messages).toEqual([]);
    expect(r.closes).toHaveLength(1);
  });

  it("closed before its first poll, it makes no request at all; closing twice reports once", async () => {
    const fake = fakeFetch();
    const r = record(new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch }));
    r.lp.close();
    r.lp.close();
    expect(vi.getTimerCount()).toBe(0);
    await flush();
    expect(fake.calls).toHaveLength(0);
    expect(r.closes).toEqual([{ type: "close", code: 1005, reason: "", wasClean: true }]);
  });

  it("stops polling when onopen closes it", async () => {
    const fake = fakeFetch();
    const lp = new LongPoll(ENDPOINT, undefined, { fetch: fake.fetch });
    lp.onopen = () => lp.close(1000);
    await flush();
    lastCall(fake).reply({ status: 410, token: "T", messages: [] });
    await flush();
    expect(fake.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe("LongPoll fetch lookup", () => {
  it("uses globalThis.fetch as found at request time, not at construction", async () => {
    const fake = fakeFetch();
    const lp = new LongPoll(ENDPOINT);
    live.push(lp);
    vi.stubGlobal("fetch", fake.fetch);
    await flush();
    expect(fake.calls).toHaveLength(1);
  });

  it("prefers the LongPoll.fetch hook over the global fetch", async () => {
    const hook = fakeFetch();
    const global = fakeFetch();
    vi.stubGlobal("fetch", global.fetch);
    LongPoll.fetch = hook.fetch;
    live.push(new LongPoll(ENDPOINT));
    await flush();
    expect(hook.calls).toHaveLength(1);
    expect(global.calls).toHaveLength(0);
  });
});

describe("base64 helpers", () => {
  it("round-trips every byte value and accepts both alphabets with or without padding", () => {
    for (let n = 0; n < 8; n++) {
      const bytes = Uint8Array.from({ length: 256 + n }, (_, i) => (i * 7 + n) & 0xff);
      const std = encodeBase64(bytes);
      expect(std).toBe(Buffer.from(bytes).toString("base64"));
      expect([...decodeBase64(std)!]).toEqual([...bytes]);
      const url = std.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
      expect([...decodeBase64(url)!]).toEqual([...bytes]);
    }
    expect(decodeBase64("a")).toBeNull();
    expect(decodeBase64("ab=c")).toBeNull();
    expect(decodeBase64("ab===")).toBeNull();
  });
});
