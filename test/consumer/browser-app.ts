// A front-end app: what a user of the default (browser) entry writes. Type-checked, never run.
import {
  Channel,
  Presence,
  PushError,
  Serializer,
  Socket,
  exponentialBackoff,
  type SocketOptions,
} from "phx-channels";

interface RoomEvents {
  in: { new_msg: { body: string; user: string } };
  out: { new_msg: { body: string } };
  replies: { new_msg: { id: number } };
}

const options: SocketOptions = {
  params: { token: "abc" },
  reconnectAfterMs: exponentialBackoff({ jitter: "full" }),
};
const socket = new Socket("/socket", options);
socket.onOpen(() => console.log("open"));
socket.connect();

const room: Channel<RoomEvents> = socket.channel<RoomEvents>("room:lobby", { since: 0 });
room.on("new_msg", (msg) => {
  const body: string = msg.body;
  console.log(body.toUpperCase(), msg.user);
});
// @ts-expect-error: the event map says `new_msg` takes a body string
room.push("new_msg", { body: 42 });

export async function send(text: string): Promise<number> {
  try {
    await room.join();
    const reply = await room.push("new_msg", { body: text });
    return reply.id;
  } catch (error) {
    if (error instanceof PushError) console.error(error.status, error.response);
    throw error;
  }
}

// phoenix.js-style callbacks still work.
room
  .push("new_msg", { body: "hi" })
  .receive("ok", (reply) => console.log(reply.id))
  .receive("error", (reason) => console.error(reason))
  .receive("timeout", () => console.error("timeout"));

const presence = new Presence(room);
presence.onSync(() => console.log(presence.list()));

Serializer.encode({ join_ref: null, ref: "1", topic: "t", event: "e", payload: {} }, (frame) => void frame);
