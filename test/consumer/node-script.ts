// A Node script or bot (ESM): the `node` condition gives a Socket that uses `ws` by default.
import { PushError, Socket } from "phx-channels";
import { Endpoint, joined, ok } from "phx-channels/server";

const endpoint = new Endpoint();
endpoint.socket("/socket", {
  channels: {
    "room:*": {
      join: () => joined(),
      handleIn: (_event, payload) => ok(payload),
    },
  },
});

export async function main(): Promise<void> {
  const port = await endpoint.listen({ port: 0 });
  const socket = new Socket(`ws://127.0.0.1:${port}/socket`);
  socket.connect();
  const room = socket.channel("room:lobby");
  try {
    await room.join();
    const reply: unknown = await room.push("ping", { at: Date.now() });
    console.log(reply);
  } catch (error) {
    if (error instanceof PushError) console.error(error.status);
  }
  socket.disconnect();
  await endpoint.close();
}
