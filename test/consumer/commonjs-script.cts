// A CommonJS Node script: `require("phx-channels")` resolves to dist/node.cjs and its .d.cts.
import { Socket, PushError } from "phx-channels";
import type { Channel } from "phx-channels";

const socket = new Socket("ws://127.0.0.1:4000/socket", { params: () => ({ token: "abc" }) });
socket.connect();
const room: Channel = socket.channel("room:lobby");
room
  .join()
  .receive("ok", () => socket.disconnect())
  .receive("error", (reason) => console.error(reason));

export function isPushError(error: unknown): error is PushError {
  return error instanceof PushError;
}
