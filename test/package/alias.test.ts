/**
 * Replacing phoenix.js under code that imports "phoenix" (an app, or a library such as a React
 * hooks package) by aliasing the package name in the bundler, as the README describes. The app
 * below is written for phoenix.js; esbuild bundles it with `phoenix` aliased to the built
 * phx-channels, and it runs in its own Node process against the reference server.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Endpoint, Presence, joined, ok } from "../../src/server/index";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const run = promisify(execFile);

const APP = `
import { Socket, Channel, Presence, LongPoll, Serializer } from "phoenix";

const socket = new Socket(process.argv[2], { params: { token: "t" } });
socket.connect();
const channel = socket.channel("room:alias", { name: "app" });
const presence = new Presence(channel);
const report = { isChannel: channel instanceof Channel, hasLongPoll: typeof LongPoll, hasSerializer: typeof Serializer.decode };
presence.onSync(() => {
  report.present = presence.list((key) => key);
});
channel
  .join()
  .receive("ok", () => {
    channel.push("echo", { n: 1 }).receive("ok", (reply) => {
      report.reply = reply;
      socket.disconnect(() => console.log(JSON.stringify(report)));
    });
  })
  .receive("error", (reason) => {
    console.log(JSON.stringify({ joinError: reason }));
    socket.disconnect();
  });
setTimeout(() => { console.log(JSON.stringify({ timedOut: report })); process.exit(1); }, 5000).unref();
`;

let endpoint: Endpoint;
let url: string;
let work: string;

beforeAll(async () => {
  endpoint = new Endpoint();
  const presence = new Presence(endpoint);
  endpoint.socket("/socket", {
    connect: (params) => (params["token"] === "t" ? {} : false),
    channels: {
      "room:*": {
        join: (_topic, params, socket) => {
          socket.afterJoin(() => {
            presence.track(socket, String((params as { name?: unknown }).name), { online_at: 1 });
            socket.push("presence_state", presence.list(socket.topic));
          });
          return joined();
        },
        handleIn: (_event, payload) => ok(payload),
      },
    },
  });
  const port = await endpoint.listen({ port: 0 });
  url = `ws://127.0.0.1:${port}/socket`;
  work = mkdtempSync(join(tmpdir(), "phx-channels-alias-"));
});

afterAll(async () => {
  await endpoint?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

it("an app written for phoenix.js runs on phx-channels when the bundler aliases phoenix to it", async () => {
  const entry = join(work, "app.mjs");
  const outfile = join(root, "node_modules", ".cache", `phx-channels-alias-${process.pid}.mjs`);
  writeFileSync(entry, APP);
  // What `resolve.alias: {phoenix: "phx-channels"}` does in Vite or webpack, with the Node build
  // (ws as the transport); ws stays external and resolves from this repo's node_modules.
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "silent",
    alias: { phoenix: join(root, "dist", "node.mjs") },
    external: ["ws", "isomorphic-ws"],
  });
  try {
    const { stdout } = await run(process.execPath, [outfile, url], { cwd: root, timeout: 15_000 });
    expect(JSON.parse(stdout)).toEqual({
      isChannel: true,
      hasLongPoll: "function",
      hasSerializer: "function",
      present: ["app"],
      reply: { n: 1 },
    });
  } finally {
    rmSync(outfile, { force: true });
  }
});
