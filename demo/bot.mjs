#!/usr/bin/env node
// A chat bot for the demo room, written the way a Node user of the package would write it.
//
//   npm run build && node demo/bot.mjs ws://127.0.0.1:4000/socket [--name bot] [--room lobby] [--longpoll]
//
// It joins room:<room> (and presence:<room>, so it shows up in the page's presence list) and
// answers "!ping" with "pong" and "!time" with the server-side time. It reconnects and rejoins by
// itself when the server goes away, and leaves cleanly on Ctrl-C.
// PHX_CHANNELS_ENTRY may point at another build of the client (a file path), e.g. in tests.
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";

const usage = "usage: node demo/bot.mjs <socket url, e.g. ws://127.0.0.1:4000/socket> [--name bot] [--room lobby] [--longpoll]";

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      name: { type: "string", default: "bot" },
      room: { type: "string", default: "lobby" },
      longpoll: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
} catch (err) {
  console.error(`bot: ${err.message}\n${usage}`);
  process.exit(2);
}
if (parsed.values.help) {
  console.log(usage);
  process.exit(0);
}
const [url] = parsed.positionals;
if (!url) {
  console.error(`bot: missing the socket url\n${usage}`);
  process.exit(2);
}

const entry = process.env.PHX_CHANNELS_ENTRY
  ? pathToFileURL(process.env.PHX_CHANNELS_ENTRY).href
  : new URL("../dist/node.mjs", import.meta.url).href;
let lib;
try {
  lib = await import(entry);
} catch (err) {
  console.error(`bot: cannot load the client from ${entry} (run \`npm run build\` first): ${err.message}`);
  process.exit(1);
}
const { Socket, LongPoll } = lib;

const name = parsed.values.name;
const room = parsed.values.room;

/** What the bot says to a message, or undefined to stay quiet. */
function answer(body) {
  switch (body.trim()) {
    case "!ping":
      return "pong";
    case "!time":
      return `the time is ${new Date().toISOString()}`;
    default:
      return undefined;
  }
}

const socket = new Socket(url, {
  params: { user: name },
  ...(parsed.values.longpoll ? { transport: LongPoll } : {}),
});
socket.onOpen(() => console.log(`bot: connected to ${url}`));
let leaving = false;
socket.onClose(() => {
  if (!leaving) console.log("bot: connection closed, reconnecting");
});
socket.onError((err) => console.log(`bot: connection error: ${err?.message ?? err?.type ?? "unknown"}`));

const chat = socket.channel(`room:${room}`, {});
chat.on("broadcasted", (payload) => {
  if (!payload || typeof payload !== "object" || payload.user === name) return;
  const reply = answer(String(payload.body ?? ""));
  if (reply === undefined) return;
  console.log(`bot: ${payload.user} said ${payload.body}, answering`);
  // `broadcast` answers nothing: the room sees the message as a `broadcasted` event.
  chat.push("broadcast", { user: name, body: reply }).receive("timeout", () => {});
});

const presence = socket.channel(`presence:${room}`, { user_id: name });

socket.connect();
chat
  .join()
  .receive("ok", () => console.log(`bot: ready in room:${room} as ${name}`))
  .receive("error", (reason) => console.log(`bot: join refused: ${JSON.stringify(reason)}`));
presence.join().receive("error", (reason) => console.log(`bot: presence join refused: ${JSON.stringify(reason)}`));

function shutdown() {
  leaving = true;
  console.log("bot: leaving");
  const done = () => process.exit(0);
  // Never hang on exit: a server that is down would keep leave() waiting for its timeout.
  setTimeout(done, 1000).unref();
  chat.leave();
  presence.leave();
  socket.disconnect(done);
}
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
