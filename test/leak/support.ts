/**
 * Leak-test helpers: a timer tracker (wraps the global timer functions and counts what is still
 * scheduled), forced GC, and the reference server running in a child process so its heap and
 * timers do not mix with the client's.
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import vm from "node:vm";
import { build } from "esbuild";

// ------------------------------------------------------------------ GC

let gcFn: (() => void) | undefined;
/** Runs a full GC a few times (finalizers and weak references need more than one pass). */
export async function fullGc(): Promise<void> {
  if (!gcFn) {
    v8.setFlagsFromString("--expose-gc");
    gcFn = vm.runInNewContext("gc") as () => void;
  }
  for (let i = 0; i < 4; i++) {
    gcFn();
    await new Promise((r) => setImmediate(r));
  }
}

export const heapUsed = (): number => process.memoryUsage().heapUsed;

// ------------------------------------------------------------------ timers

interface Tracked {
  kind: "timeout" | "interval";
  stack: string;
}

/** What the tracker saw: every timer still scheduled, with where it was created. */
export interface TimerTracker {
  pending(): Tracked[];
  created(): number;
  uninstall(): void;
}

/**
 * Replaces `setTimeout`, `setInterval`, `clearTimeout` and `clearInterval` on globalThis with
 * counting wrappers. A timeout stops counting when it fires or is cleared; an interval when cleared.
 * Client code looks the timer functions up when it calls them, so it goes through the wrappers;
 * so does `ws`. Only timers created while installed are tracked.
 */
export function trackTimers(): TimerTracker {
  const g = globalThis as unknown as Record<string, unknown>;
  const orig = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    clearTimeout: globalThis.clearTimeout,
    clearInterval: globalThis.clearInterval,
  };
  const live = new Map<unknown, Tracked>();
  let created = 0;
  // Node timers are objects, but clear*() also accepts their numeric id ([Symbol.toPrimitive]).
  const key = (h: unknown): unknown => (typeof h === "object" && h !== null && Symbol.toPrimitive in h ? Number(h) : h);
  const stack = () => (new Error().stack ?? "").split("\n").slice(3, 9).join("\n");

  g.setTimeout = function (cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) {
    created++;
    let handle: unknown;
    const wrapped = (...a: unknown[]) => {
      live.delete(key(handle));
      cb(...a);
    };
    handle = orig.setTimeout(wrapped, ms, ...args);
    live.set(key(handle), { kind: "timeout", stack: stack() });
    return handle;
  };
  g.setInterval = function (cb: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) {
    created++;
    const handle = orig.setInterval(cb, ms, ...args);
    live.set(key(handle), { kind: "interval", stack: stack() });
    return handle;
  };
  g.clearTimeout = function (h: unknown) {
    live.delete(key(h));
    orig.clearTimeout(h as Parameters<typeof clearTimeout>[0]);
  };
  g.clearInterval = function (h: unknown) {
    live.delete(key(h));
    orig.clearInterval(h as Parameters<typeof clearInterval>[0]);
  };
  return {
    pending: () => [...live.values()],
    created: () => created,
    uninstall: () => Object.assign(g, orig),
  };
}

// ------------------------------------------------------------------ server in a child process

// fileURLToPath rather than import.meta.dirname, which Node only has from 20.11.
const ROOT = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");

/** The leak-test app: `room:*` joins, `echo` replies ok with the payload, anything else gets no reply. */
const SERVER_ENTRY = `
import { Endpoint, joined, ok, noreply } from ${JSON.stringify(join(ROOT, "src/server/index.ts"))};
(async () => {
  const endpoint = new Endpoint({ logger: false });
  endpoint.socket("/socket", {
    maxChannels: 100000,
    channels: { "room:*": { join: () => joined(), handleIn: (event, payload) => (event === "echo" ? ok(payload) : noreply()) } },
  });
  const port = await endpoint.listen({ host: "127.0.0.1", port: 0 });
  process.on("message", async (m) => {
    if (m === "stats") process.send({ stats: { connections: endpoint.connectionCount } });
    if (m === "close") { await endpoint.close(); process.exit(0); }
  });
  process.send({ port });
})();
`;

export interface ChildServer {
  port: number;
  connections(): Promise<number>;
  close(): Promise<void>;
}

/** Bundles the reference server with esbuild and starts it in a child Node process. */
export async function startChildServer(): Promise<ChildServer> {
  const dir = mkdtempSync(join(tmpdir(), "phx-leak-"));
  const outfile = join(dir, "server.cjs");
  await build({
    stdin: { contents: SERVER_ENTRY, resolveDir: ROOT, loader: "ts", sourcefile: "leak-server.ts" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node18",
    outfile,
    // Optional native add-ons of ws, absent here.
    external: ["bufferutil", "utf-8-validate"],
    logLevel: "silent",
  });
  const child: ChildProcess = fork(outfile, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`server child exited with ${String(code)}`)));
    child.once("message", (m) => resolvePort((m as { port: number }).port));
  });
  return {
    port,
    connections: () =>
      new Promise<number>((r) => {
        const on = (m: unknown) => {
          const stats = (m as { stats?: { connections: number } }).stats;
          if (stats) {
            child.off("message", on);
            r(stats.connections);
          }
        };
        child.on("message", on);
        child.send("stats");
      }),
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.send("close");
        const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(kill);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
