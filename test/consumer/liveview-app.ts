// A LiveView app after the swap: LiveView's types take phoenix.js's Socket class (typed by
// @types/phoenix), and phx-channels' Socket must fit there. Type-checked, never run.
import { LiveSocket } from "phoenix_live_view";
import { Socket } from "phx-channels";

const liveSocket = new LiveSocket("/live", Socket, {
  params: { _csrf_token: "token" },
  longPollFallbackMs: 2500,
});
liveSocket.connect();
export const socket = liveSocket.getSocket();
