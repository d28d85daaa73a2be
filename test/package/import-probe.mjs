// Loads one built entry in a fresh Node process, the way a user's program would, and prints a JSON
// report on stdout: what it exports, which globals it looked up, and which timers, listeners and
// handles it created while being imported. Spawned by smoke.test.ts; a fresh process is the only way
// to see import-time effects (vitest has already loaded plenty by the time a test runs).
//
//   node test/package/import-probe.mjs <import|require> <specifier> [connect]
//
// `specifier` is a path (relative to the repo root) or a package name, resolved from here, so
// "phx-channels" goes through the package's own `exports` map (Node applies the `node` condition).
// With `connect`, it then opens a Socket to a local `ws` server with no transport option, to prove
// the entry works in Node with no setup, and reports the request URL.
import { createRequire } from "node:module";
import { isAbsolute, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [mode, specifier, action] = process.argv.slice(2);
const root = join(fileURLToPath(import.meta.url), "..", "..", "..");
const require = createRequire(import.meta.url);

// Globals a browser library might reach for at module scope. Looking any of them up during import
// breaks SSR, workers or React Native, or means work is happening at import time.
const WATCHED_GLOBALS = [
  "window", "document", "navigator", "location", "self", "WebSocket", "sessionStorage", "localStorage",
  "fetch", "XMLHttpRequest", "addEventListener", "removeEventListener",
  "setTimeout", "setInterval", "setImmediate", "requestAnimationFrame",
];
const touched = new Set();
let watching = true;
for (const name of WATCHED_GLOBALS) {
  const original = Object.getOwnPropertyDescriptor(globalThis, name);
  const value = original && ("value" in original ? original.value : original.get?.call(globalThis));
  Object.defineProperty(globalThis, name, {
    configurable: true,
    enumerable: original?.enumerable ?? false,
    get() {
      if (watching) touched.add(name);
      return value;
    },
    set(next) {
      Object.defineProperty(globalThis, name, { configurable: true, writable: true, value: next });
    },
  });
}

const listenerCounts = () => Object.fromEntries(process.eventNames().map((e) => [String(e), process.listenerCount(e)]));
const resourcesBefore = process.getActiveResourcesInfo();
const listenersBefore = listenerCounts();

const target = isAbsolute(specifier) ? specifier : specifier.startsWith(".") ? join(root, specifier) : specifier;
let mod;
if (mode === "require") {
  mod = require(target);
} else {
  mod = await import(target === specifier ? specifier : pathToFileURL(target).href);
}
watching = false;

const resourcesAfter = process.getActiveResourcesInfo();
const listenersAfter = listenerCounts();
const addedListeners = Object.entries(listenersAfter)
  .filter(([event, count]) => count > (listenersBefore[event] ?? 0))
  .map(([event]) => event);

const report = {
  resolved: mode === "require" ? require.resolve(target) : fileURLToPath(import.meta.resolve(target === specifier ? specifier : pathToFileURL(target).href)),
  exports: Object.keys(mod).sort(),
  globalsTouched: [...touched].sort(),
  addedListeners,
  newResources: resourcesAfter.slice(resourcesBefore.length),
};

if (action === "connect") {
  const { WebSocketServer } = require("ws");
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  const { port } = server.address();
  const seen = new Promise((resolve) => server.once("connection", (_ws, request) => resolve(request.url)));
  const socket = new mod.Socket(`ws://127.0.0.1:${port}/socket`, { params: { token: "abc" } });
  const opened = new Promise((resolve) => socket.onOpen(() => resolve(true)));
  socket.connect();
  let timer;
  const failure = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("the socket did not open within 5 s")), 5000);
  });
  report.requestUrl = await Promise.race([seen, failure]);
  report.opened = await Promise.race([opened, failure]);
  clearTimeout(timer);
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise((resolve) => socket.disconnect(() => resolve()));
  // The transport (ws) finishes its closing handshake on its own timer; give it time to settle.
  // A timer the Socket kept (heartbeat 30 s, rejoin >= 1 s) would still be there afterwards, and
  // a reconnect timer would show up as a new connection.
  const settleBy = Date.now() + 2000;
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
  while (timers() > 0 && Date.now() < settleBy) await new Promise((resolve) => setImmediate(resolve));
  report.timersAfterDisconnect = timers();
  report.reconnectsAfterDisconnect = connections;
  for (const client of server.clients) client.terminate();
  await new Promise((resolve) => server.close(() => resolve()));
}

process.stdout.write(JSON.stringify(report));
