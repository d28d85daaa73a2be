import { describe, expectTypeOf, it } from "vitest";
import { Socket } from "../../src/socket";
import type { Channel } from "../../src/channel";
import type { Push } from "../../src/push";
import { PushError } from "../../src/errors";
import type { TransportConstructor } from "../../src/types";

interface RoomEvents {
  in: { new_msg: { body: string }; user_joined: { id: number } };
  out: { new_msg: { body: string }; typing: Record<string, never> };
  replies: { new_msg: { id: number } };
  join: { history: string[] };
}

class NoTransport {
  readyState = 3;
  constructor(_url: string, _protocols?: string | string[]) {}
  send(_data: string | ArrayBuffer): void {}
  close(): void {}
}
const socket = new Socket("ws://h/socket", { transport: NoTransport as TransportConstructor });

describe("typed channels", () => {
  it("type server events, pushes, replies and the join reply from an event map", () => {
    const room = socket.channel<RoomEvents>("room:1");
    expectTypeOf(room).toEqualTypeOf<Channel<RoomEvents>>();
    room.on("new_msg", (p) => {
      expectTypeOf(p).toEqualTypeOf<{ body: string }>();
    });
    room.on("user_joined", (p) => {
      expectTypeOf(p.id).toBeNumber();
    });
    room.on("phx_error", (p) => {
      expectTypeOf(p).toBeUnknown();
    });
    // @ts-expect-error: not an event of the map
    room.on("nope", () => {});
    if (Math.random() > 2) {
      expectTypeOf(room.join()).toEqualTypeOf<Push<{ history: string[] }>>();
      const push = room.push("new_msg", { body: "hi" });
      expectTypeOf(push).toEqualTypeOf<Push<{ id: number }>>();
      push.receive("ok", (r) => expectTypeOf(r).toEqualTypeOf<{ id: number }>());
      push.receive("error", (r) => expectTypeOf(r).toBeUnknown());
      // @ts-expect-error: wrong payload shape
      room.push("new_msg", { text: "hi" });
      // @ts-expect-error: not an outgoing event
      room.push("user_joined", { id: 1 });
      expectTypeOf(room.push("typing", {})).toEqualTypeOf<Push<unknown>>();
    }
    expectTypeOf(room.stream("new_msg")).toEqualTypeOf<AsyncIterableIterator<{ body: string }>>();
  });

  it("await resolves to the reply type and rejects with PushError", async () => {
    const room = socket.channel<RoomEvents>("room:2");
    const run = async () => {
      const reply = await room.push("new_msg", { body: "x" });
      expectTypeOf(reply).toEqualTypeOf<{ id: number }>();
      const joined = await room.join();
      expectTypeOf(joined.history).toEqualTypeOf<string[]>();
      room.push("new_msg", { body: "y" }).catch((e) => expectTypeOf(e).toEqualTypeOf<PushError>());
    };
    expectTypeOf(run).returns.toEqualTypeOf<Promise<void>>();
  });

  it("untyped channels accept any event, with unknown payloads", () => {
    const chan = socket.channel("anything");
    chan.on("whatever", (p) => expectTypeOf(p).toBeUnknown());
    if (Math.random() > 2) {
      chan.push("any_event", { a: 1 });
      chan.push("bin", new ArrayBuffer(1));
      expectTypeOf(chan.push("x", {})).toEqualTypeOf<Push<unknown>>();
      // @ts-expect-error: payloads are objects or binary, not numbers
      chan.push("x", 5);
    }
  });

  it("types the socket options and callbacks", () => {
    expectTypeOf(socket.onStateChange).parameter(0).parameter(0).toHaveProperty("to");
    expectTypeOf(socket.state).toEqualTypeOf<"connecting" | "open" | "reconnecting" | "waiting" | "closing" | "closed" | "failed">();
    // @ts-expect-error: timeout is a number
    new Socket("ws://h", { timeout: "10" });
    // @ts-expect-error: unknown overflow policy
    new Socket("ws://h", { onOverflow: "explode" });
  });
});
