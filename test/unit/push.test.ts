import { describe, expect, it, vi } from "vitest";
import { Socket } from "../../src/socket";
import { Push } from "../../src/push";
import { PushError } from "../../src/errors";
import { Fake, conn, openSocket as open, useFakeTransport } from "./support/fake-conn";

const reported = useFakeTransport();

function joined() {
  const socket = open();
  const chan = socket.channel("room:1");
  chan.join();
  conn().ackJoins();
  return { socket, chan };
}
const replyTo = (push: Push<unknown>, status: string, response: unknown): void =>
  conn().reply([push.channel.joinRef(), push.ref, push.channel.topic, "phx_reply", { status, response }]);

describe("Push", () => {
  it("has phoenix.js's fields and a payload function", () => {
    const { socket, chan } = joined();
    const push = chan.push("ev", { a: 1 }, 500);
    expect(push.channel).toBe(chan);
    expect(push.event).toBe("ev");
    expect(push.payload()).toEqual({ a: 1 });
    expect(push.timeout).toBe(500);
    expect(push.ref).toBe(conn().last()[1]);
    expect(push.refEvent).toBe(`chan_reply_${String(push.ref)}`);
    expect(push.receivedResp).toBeNull();
    expect(push.timeoutTimer).not.toBeNull();
    expect(push.sent).toBe(true);
    push.payload = () => ({ b: 2 });
    expect(push.payload()).toEqual({ b: 2 });
    socket.disconnect();
  });

  it("calls receive hooks by status, chainable, and at once for a reply already received", () => {
    const { socket, chan } = joined();
    const calls: string[] = [];
    const push = chan
      .push("ev", {})
      .receive("ok", (r) => calls.push(`ok ${JSON.stringify(r)}`))
      .receive("error", () => calls.push("error"));
    replyTo(push, "ok", { id: 1 });
    expect(push.receivedResp).toEqual({ status: "ok", response: { id: 1 } });
    expect(push.timeoutTimer).toBeNull();
    push.receive("ok", () => calls.push("late ok"));
    push.receive("error", () => calls.push("late error"));
    expect(calls).toEqual(['ok {"id":1}', "late ok"]);
    socket.disconnect();
  });

  it("times out after its timeout", () => {
    const { socket, chan } = joined();
    const timeout = vi.fn();
    chan.push("ev", {}, 50).receive("timeout", timeout);
    vi.advanceTimersByTime(49);
    expect(timeout).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(timeout).toHaveBeenCalledWith({});
    expect(socket._replies.size).toBe(0);
    socket.disconnect();
  });

  it("resolves an awaited push with the ok response", async () => {
    const { socket, chan } = joined();
    const push = chan.push("ev", {});
    replyTo(push, "ok", { id: 7 });
    await expect(push).resolves.toEqual({ id: 7 });
    socket.disconnect();
  });

  it("rejects an awaited push with a PushError: error with the server's response", async () => {
    const { socket, chan } = joined();
    const push = chan.push("ev", {});
    const awaited = push.then(
      () => null,
      (e: unknown) => e,
    );
    replyTo(push, "error", { reason: "nope" });
    const error = (await awaited) as PushError;
    expect(error).toBeInstanceOf(PushError);
    expect(error.status).toBe("error");
    expect(error.response).toEqual({ reason: "nope" });
    expect(error.event).toBe("ev");
    expect(error.topic).toBe("room:1");
    socket.disconnect();
  });

  it("rejects an awaited push with a PushError: timeout", async () => {
    const { socket, chan } = joined();
    const push = chan.push("ev", {}, 10);
    const caught = push.catch((e: PushError) => e.status);
    vi.advanceTimersByTime(10);
    await expect(caught).resolves.toBe("timeout");
    socket.disconnect();
  });

  it("treats an unknown reply status as an error when awaited", async () => {
    const { socket, chan } = joined();
    const push = chan.push("ev", {});
    replyTo(push, "weird", 1);
    await expect(push).rejects.toMatchObject({ status: "error", response: 1 });
    socket.disconnect();
  });

  it("awaits the join and the leave", async () => {
    const socket = open();
    const chan = socket.channel("room:1");
    const join = chan.join();
    conn().ackJoins();
    await expect(join).resolves.toEqual({});
    await expect(chan.leave()).resolves.toEqual({});
    socket.disconnect();
  });

  it("a push nobody awaits produces no unhandled rejection", async () => {
    vi.useRealTimers();
    const unhandled = vi.fn();
    process.on("unhandledRejection", unhandled);
    try {
      const { socket, chan } = joined();
      const push = chan.push("ev", {}, 1);
      push.receive("timeout", () => {});
      await new Promise((r) => setTimeout(r, 20));
      expect(push.hasReceived("timeout")).toBe(true);
      socket.disconnect();
      await new Promise((r) => setTimeout(r, 5));
      expect(unhandled).not.toHaveBeenCalled();
    } finally {
      process.off("unhandledRejection", unhandled);
    }
  });

  it("resend() sends again with a new ref", () => {
    const { socket, chan } = joined();
    const push = chan.push("ev", {});
    const first = push.ref;
    push.resend(100);
    expect(push.ref).not.toBe(first);
    expect(push.timeout).toBe(100);
    expect(conn().last()[1]).toBe(push.ref);
    socket.disconnect();
  });

  it("trigger(status, response) delivers a local outcome", () => {
    const { socket, chan } = joined();
    const ok = vi.fn();
    const push = chan.push("ev", {}).receive("ok", ok);
    push.trigger("ok", { local: true });
    expect(ok).toHaveBeenCalledWith({ local: true });
    const unsent = new Push(chan, "x", undefined, 10);
    unsent.trigger("ok", {});
    expect(unsent.receivedResp).toBeNull();
    expect(unsent.payload()).toEqual({});
    socket.disconnect();
  });

  it("a throwing receive hook does not stop the other hooks", () => {
    const { socket, chan } = joined();
    const second = vi.fn();
    const push = chan
      .push("ev", {})
      .receive("ok", () => {
        throw new Error("hook");
      })
      .receive("ok", second);
    replyTo(push, "ok", {});
    expect(second).toHaveBeenCalled();
    expect(reported).toHaveLength(1);
    socket.disconnect();
  });

  it("matches 50 interleaved replies to their pushes by ref", async () => {
    const { socket, chan } = joined();
    const pushes = Array.from({ length: 50 }, (_, i) => chan.push("ev", { i }));
    for (const push of [...pushes].reverse()) replyTo(push, "ok", { i: (push.payload() as { i: number }).i });
    const results = await Promise.all(pushes);
    expect(results).toEqual(pushes.map((_, i) => ({ i })));
    expect(socket._replies.size).toBe(0);
    socket.disconnect();
  });

  it("10,000 pushes that time out leave no registrations or bindings", async () => {
    // Real timers: fake timers scan every pending timer on each tick, which is quadratic here.
    vi.useRealTimers();
    const { socket, chan } = joined();
    let timedOut = 0;
    for (let i = 0; i < 10000; i++) chan.push("ev", {}, 5).receive("timeout", () => timedOut++);
    expect(socket._replies.size).toBe(10000);
    await new Promise((r) => setTimeout(r, 50));
    expect(timedOut).toBe(10000);
    expect(socket._replies.size).toBe(0);
    expect(chan.bindings).toEqual([]);
    socket.disconnect();
  });
});

describe("Buffered pushes that end", () => {
  it("leave the channel's push buffer when they time out, making room in a bounded buffer", async () => {
    const socket = open({ maxBuffered: 2, onOverflow: "reject" });
    const chan = socket.channel("room:1");
    chan.join();
    const a = chan.push("a", {}, 10);
    chan.push("b", {}, 20);
    expect(chan.pushBuffer).toHaveLength(2);
    vi.advanceTimersByTime(10);
    await expect(a).rejects.toMatchObject({ status: "timeout" });
    expect(chan.pushBuffer.map((p) => p.event)).toEqual(["b"]);
    const c = chan.push("c", {}, 1000);
    expect(c.hasReceived("dropped")).toBe(false);
    vi.advanceTimersByTime(10);
    expect(chan.pushBuffer.map((p) => p.event)).toEqual(["c"]);
    conn().ackJoins();
    expect(conn().last()[3]).toBe("c");
    socket.disconnect();
  });

  it("leave the socket's send buffer when they time out", () => {
    const socket = new Socket("ws://h/socket", { transport: Fake, timeout: 50 });
    const first = socket.channel("a");
    const second = socket.channel("b");
    first.join();
    second.join(100);
    expect(socket.sendBuffer).toHaveLength(2);
    vi.advanceTimersByTime(50);
    // The timed-out join left the buffer (its leave took a slot).
    expect(socket.sendBuffer.map((e) => (e as unknown as { push?: Push<unknown> }).push?.event)).toEqual(["phx_join", "phx_leave"]);
    vi.advanceTimersByTime(50);
    // The second join timed out too, and the first leave (50 ms timeout) ended as well.
    expect(socket.sendBuffer.map((e) => (e as unknown as { push?: Push<unknown> }).push?.event)).toEqual(["phx_leave"]);
    socket.disconnect();
  });
});

describe("Malformed replies", () => {
  it("end the push as an error instead of leaving it unresolved", async () => {
    const { socket, chan } = joined();
    const a = chan.push("a", {});
    const b = chan.push("b", {});
    conn().reply([chan.joinRef(), a.ref, "room:1", "phx_reply", null]);
    conn().reply([chan.joinRef(), b.ref, "room:1", "phx_reply", { status: 5 }]);
    await expect(a).rejects.toMatchObject({ status: "error", response: null });
    await expect(b).rejects.toMatchObject({ status: "error", response: { status: 5 } });
    socket.disconnect();
  });
});

describe("Push with a stubbed makeRef (how phoenix.js test suites drive pushes)", () => {
  it("matches replies when makeRef returns a number", () => {
    const socket = open();
    vi.spyOn(socket, "makeRef").mockImplementation(() => 7 as unknown as string);
    const chan = socket.channel("room:1");
    const ok = vi.fn();
    chan.join().receive("ok", ok);
    chan.trigger("phx_reply", { status: "ok", response: { a: 1 } }, "7");
    expect(ok).toHaveBeenCalledWith({ a: 1 });
    expect(chan.state).toBe("joined");
    socket.disconnect();
  });

  it("answers every push waiting on a repeated ref, oldest first, so the join still completes", () => {
    const socket = open();
    vi.spyOn(socket, "makeRef").mockImplementation(() => "1");
    const chan = socket.channel("room:1");
    const order: string[] = [];
    chan.join().receive("ok", () => order.push("join"));
    const buffered = chan.push("ev", { n: 1 }).receive("ok", () => order.push("push"));
    expect(chan.pushBuffer).toEqual([buffered]);
    chan.joinPush.trigger("ok", {});
    expect(chan.state).toBe("joined");
    expect(conn().frames().map((f) => f[3])).toEqual(["phx_join", "ev"]);
    expect(order).toEqual(["join", "push"]);
    expect(socket._replies.size).toBe(0);
    socket.disconnect();
  });

  it("forgets a push that ended from the middle of a shared-ref chain", () => {
    const socket = open();
    const chan = socket.channel("room:1");
    chan.join();
    conn().ackJoins();
    vi.spyOn(socket, "makeRef").mockImplementation(() => "50");
    const a = chan.push("a", {}, 100);
    const b = chan.push("b", {}, 200);
    const c = chan.push("c", {}, 300);
    b.trigger("ok", {});
    // b went through the channel: every push on ref 50 got it, as phoenix.js's refEvent bindings do.
    expect([a, b, c].map((p) => p.receivedResp?.status)).toEqual(["ok", "ok", "ok"]);
    expect(socket._replies.size).toBe(0);
    const d = chan.push("d", {}, 100);
    const e = chan.push("e", {}, 100);
    d.cancelRefEvent();
    chan.trigger("phx_reply", { status: "error", response: {} }, "50");
    expect(d.receivedResp).toBeNull();
    expect(e.receivedResp?.status).toBe("error");
    socket.disconnect();
  });
});
