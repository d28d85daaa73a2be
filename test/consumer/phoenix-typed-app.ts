// Code a TypeScript team wrote for phoenix.js, typed with @types/phoenix (the types phoenix.js
// users and LiveView build against). scripts/check-consumer.mjs compiles it twice: against
// @types/phoenix, which proves it is genuine phoenix.js-era code, and against the packed
// phx-channels, which proves that swapping the import keeps it compiling. Type-checked, never run.
//
// The one thing left out on purpose: reading fields of an untyped payload (`payload.body`).
// @types/phoenix types payloads as `any`; ours are `unknown` until the channel is given an event
// map (README, "Migrating from phoenix.js").
import { Channel, LongPoll, Presence, Push, Socket } from "phoenix-under-test";

const socket = new Socket("/socket", {
  params: () => ({ token: localStorage.getItem("token") ?? "" }),
  logger: (kind, msg, data) => console.debug(`${kind}: ${msg}`, data),
  reconnectAfterMs: (tries) => [1000, 2000, 5000][tries - 1] ?? 10000,
  rejoinAfterMs: (tries) => Math.min(tries * 1000, 10000),
  heartbeatIntervalMs: 15000,
  timeout: 5000,
  longPollFallbackMs: 2500,
  binaryType: "arraybuffer",
  transport: WebSocket,
  sessionStorage: window.sessionStorage,
});
socket.onOpen(() => console.log("open"));
socket.onClose((event) => console.log("closed", event.code));
const errorRef = socket.onError((error, transport, established) => console.error(error, transport, established));
socket.onMessage((message) => console.debug(message));
socket.off([errorRef]);
socket.connect();
console.log(socket.isConnected(), socket.connectionState(), socket.endPointURL(), socket.protocol(), socket.makeRef());
socket.ping((latency) => console.log(`rtt ${latency} ms`));
if (socket.hasLogger()) socket.log("app", "started", {});
socket.replaceTransport(LongPoll);

const channel: Channel = socket.channel("room:lobby", { since: 0 });
channel.onError((reason) => console.error("channel error", reason));
channel.onClose(() => console.log("channel closed"));
const ref: number = channel.on("new_msg", (payload) => console.log(payload));
channel.off("new_msg", ref);
channel.off("new_msg");

const join: Push = channel.join(10000);
join
  .receive("ok", (resp) => console.log("joined", resp))
  .receive("error", (resp) => console.error("refused", resp))
  .receive("timeout", () => console.error("timed out"));

function send(body: string): Push {
  return channel
    .push("new_msg", { body }, 3000)
    .receive("ok", (reply) => console.log(reply))
    .receive("error", (reason) => console.error(reason));
}
send("hello");
console.log(channel.state, channel.topic);

const presence = new Presence(channel);
presence.onSync(() => {
  const users = presence.list((id, presenceEntry) => ({ id, presenceEntry }));
  console.log(users.map((u) => u.id));
});
presence.onJoin((key, current, joined) => console.log(key, current, joined));
presence.onLeave((key, current, left) => console.log(key, current, left));
console.log(presence.inPendingSyncState());

let state = {};
state = Presence.syncState(state, {}, (key) => console.log(key));
state = Presence.syncDiff(state, { joins: {}, leaves: {} });
console.log(Presence.list(state));

channel.leave().receive("ok", () => socket.remove(channel));
socket.disconnect(() => console.log("bye"), 1000, "logout");

export function forLiveView(phxSocket: typeof Socket): Socket {
  return new phxSocket("/live", { params: { _csrf_token: "t" } });
}
forLiveView(Socket);
