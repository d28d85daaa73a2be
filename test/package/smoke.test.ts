/**
 * Smoke tests of the built package: the files in dist/ load and work the way each kind of user
 * loads them — ESM and CommonJS through the package's own `exports` map (Node picks the `node`
 * condition), the universal ESM/CJS entries by path, and the IIFE in a page-like `vm` context.
 * test/global-setup.ts rebuilds dist/ first when it is older than src/.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import vm from "node:vm";
import { describe, expect, inject, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = (file: string) => join(root, "dist", file);
const probeScript = join(root, "test", "package", "import-probe.mjs");
const run = promisify(execFile);
const require = createRequire(import.meta.url);

interface ProbeReport {
  resolved: string;
  exports: string[];
  globalsTouched: string[];
  addedListeners: string[];
  newResources: string[];
  requestUrl?: string;
  opened?: boolean;
  timersAfterDisconnect?: number;
  reconnectsAfterDisconnect?: number;
}

/** Loads `specifier` in a fresh Node process (see import-probe.mjs) and returns its report. */
async function probe(mode: "import" | "require", specifier: string, action?: "connect"): Promise<ProbeReport> {
  const args = [probeScript, mode, specifier, ...(action ? [action] : [])];
  const { stdout } = await run(process.execPath, args, { cwd: root, timeout: 15_000 });
  return JSON.parse(stdout) as ProbeReport;
}

/** The classes phoenix.js exports; a drop-in replacement must export at least these. */
const PHOENIX_EXPORTS = Object.keys(require("phoenix") as object).sort();

it("dist/ was built from the current sources before the tests ran", () => {
  expect(inject("distBuildError")).toBeNull();
  for (const file of ["index.mjs", "index.cjs", "node.mjs", "node.cjs", "phx-channels.min.js", "server.mjs", "cli.mjs"]) {
    expect(existsSync(dist(file)), `dist/${file}`).toBe(true);
    expect(existsSync(dist(`${file}.map`)), `dist/${file}.map`).toBe(true);
  }
});

describe("the package exports map", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    exports: Record<string, unknown>;
  };

  it("lists types first in every condition branch, so TypeScript picks the declarations", () => {
    const branches: Record<string, unknown>[] = [];
    const walk = (node: unknown) => {
      if (node && typeof node === "object") {
        branches.push(node as Record<string, unknown>);
        Object.values(node).forEach(walk);
      }
    };
    walk(pkg.exports["."]);
    walk(pkg.exports["./server"]);
    const leaves = branches.filter((branch) => "default" in branch);
    expect(leaves.length).toBeGreaterThanOrEqual(5);
    for (const branch of leaves) expect(Object.keys(branch)[0]).toBe("types");
  });

  it("sends Node's import to the Node entry (ws as default transport)", async () => {
    expect((await probe("import", "phx-channels")).resolved).toBe(dist("node.mjs"));
  });

  it("sends Node's require to the CommonJS Node entry", async () => {
    expect((await probe("require", "phx-channels")).resolved).toBe(dist("node.cjs"));
  });

  it("exposes the reference server as ESM only, with a clear error for require", async () => {
    expect((await probe("import", "phx-channels/server")).resolved).toBe(dist("server.mjs"));
    await expect(probe("require", "phx-channels/server")).rejects.toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});

describe("importing an entry has no side effects", () => {
  const entries: [string, "import" | "require", string][] = [
    ["universal ESM", "import", "./dist/index.mjs"],
    ["universal CJS", "require", "./dist/index.cjs"],
    ["Node ESM", "import", "phx-channels"],
    ["Node CJS", "require", "phx-channels"],
    ["server", "import", "phx-channels/server"],
  ];
  it.each(entries)("%s: no global lookups, timers, listeners or handles", async (_name, mode, specifier) => {
    const report = await probe(mode, specifier);
    expect(report.globalsTouched).toEqual([]);
    expect(report.addedListeners).toEqual([]);
    expect(report.newResources).toEqual([]);
  });
});

describe("ESM and CommonJS builds", () => {
  it("export every class phoenix.js exports, with the same names in all four client builds", async () => {
    const reports = await Promise.all([
      probe("import", "./dist/index.mjs"),
      probe("require", "./dist/index.cjs"),
      probe("import", "./dist/node.mjs"),
      probe("require", "./dist/node.cjs"),
    ]);
    for (const name of PHOENIX_EXPORTS) expect(reports[0].exports).toContain(name);
    for (const report of reports.slice(1)) expect(report.exports).toEqual(reports[0].exports);
  });

  it("build a Socket endpoint URL from the universal ESM entry", async () => {
    const { Socket } = (await import(pathToFileURL(dist("index.mjs")).href)) as typeof import("../../src/index");
    const socket = new Socket("ws://127.0.0.1:4000/socket", { params: { token: "abc" } });
    expect(socket.endPointURL()).toBe("ws://127.0.0.1:4000/socket/websocket?token=abc&vsn=2.0.0");
  });

  it("build a Socket endpoint URL from the universal CommonJS entry", () => {
    const { Socket } = require(dist("index.cjs")) as typeof import("../../src/index");
    const socket = new Socket("ws://127.0.0.1:4000/socket", { params: () => ({ token: "abc" }) });
    expect(socket.endPointURL()).toBe("ws://127.0.0.1:4000/socket/websocket?token=abc&vsn=2.0.0");
  });

  it.each(["import", "require"] as const)(
    "Node entry (%s) connects to a ws:// URL with no transport option and leaves no timers after disconnect",
    async (mode) => {
      const report = await probe(mode, "phx-channels", "connect");
      expect(report.requestUrl).toBe("/socket/websocket?token=abc&vsn=2.0.0");
      expect(report.opened).toBe(true);
      expect(report.timersAfterDisconnect).toBe(0);
      expect(report.reconnectsAfterDisconnect).toBe(0);
    },
  );
});

describe("the <script> tag build (IIFE)", () => {
  const code = () => readFileSync(dist("phx-channels.min.js"), "utf8");

  /** A page-like global: location, window, document and a recording WebSocket; timers tracked. */
  function makePage() {
    const pending = new Map<unknown, "timeout" | "interval">();
    const sockets: FakeWebSocket[] = [];
    const touched = new Set<string>();
    let watching = true;

    class FakeWebSocket {
      static CONNECTING = 0;
      static OPEN = 1;
      static CLOSING = 2;
      static CLOSED = 3;
      readyState = 0;
      binaryType = "blob";
      bufferedAmount = 0;
      sent: unknown[] = [];
      onopen: ((event: unknown) => void) | null = null;
      onclose: ((event: unknown) => void) | null = null;
      onerror: ((event: unknown) => void) | null = null;
      onmessage: ((event: unknown) => void) | null = null;
      constructor(
        readonly url: string,
        readonly protocols?: string | string[],
      ) {
        sockets.push(this);
      }
      send(data: unknown) {
        this.sent.push(data);
      }
      close(code = 1000, reason = "") {
        this.readyState = 3;
        page.setTimeout(() => this.onclose?.({ code, reason, wasClean: true }), 0);
      }
      open() {
        this.readyState = 1;
        this.onopen?.({});
      }
    }

    const noopTarget = { addEventListener() {}, removeEventListener() {} };
    const page: Record<string, unknown> & { setTimeout: (fn: () => void, ms: number) => unknown } = {
      location: { protocol: "https:", host: "example.com", hostname: "example.com", port: "" },
      document: { ...noopTarget, visibilityState: "visible", hidden: false },
      navigator: { userAgent: "smoke-test", onLine: true },
      WebSocket: FakeWebSocket,
      ...noopTarget,
      setTimeout(fn: () => void, ms: number) {
        const id = setTimeout(() => {
          pending.delete(id);
          fn();
        }, ms);
        pending.set(id, "timeout");
        return id;
      },
      clearTimeout(id: ReturnType<typeof setTimeout>) {
        pending.delete(id);
        clearTimeout(id);
      },
      setInterval(fn: () => void, ms: number) {
        const id = setInterval(fn, ms);
        pending.set(id, "interval");
        return id;
      },
      clearInterval(id: ReturnType<typeof setInterval>) {
        pending.delete(id);
        clearInterval(id);
      },
      console,
      // Web platform globals every supported browser has (the vm context only has the JS built-ins).
      URL,
      URLSearchParams,
      TextEncoder,
      TextDecoder,
      AbortController,
      queueMicrotask,
      atob,
      btoa,
    };
    page.window = page;
    page.self = page;
    // Record global lookups made while the script itself runs (none are expected).
    for (const name of ["location", "document", "navigator", "WebSocket", "window", "self", "setTimeout", "setInterval"]) {
      const value = page[name];
      delete page[name];
      Object.defineProperty(page, name, {
        configurable: true,
        enumerable: true,
        get: () => {
          if (watching) touched.add(name);
          return value;
        },
      });
    }
    const context = vm.createContext(page);
    vm.runInContext(code(), context, { filename: "phx-channels.min.js" });
    watching = false;
    return { context: page, sockets, pending, touched };
  }

  it("defines the PhxChannels global with the phoenix.js classes, touching nothing else on load", () => {
    const page = makePage();
    const api = page.context.PhxChannels as Record<string, unknown>;
    expect(typeof api.Socket).toBe("function");
    for (const name of PHOENIX_EXPORTS) expect(api[name], name).toBeDefined();
    expect(page.touched).toEqual(new Set());
    expect(page.pending.size).toBe(0);
  });

  it("exports the same names as the ESM entry", async () => {
    const api = makePage().context.PhxChannels as Record<string, unknown>;
    const esm = await probe("import", "./dist/index.mjs");
    expect(Object.keys(api).sort()).toEqual(esm.exports);
  });

  it("builds the endpoint URL from the page location and connects with the page's WebSocket", async () => {
    const page = makePage();
    const { Socket } = page.context.PhxChannels as typeof import("../../src/index");
    const socket = new Socket("/socket", { params: { token: "abc" } });
    expect(socket.endPointURL()).toBe("wss://example.com/socket/websocket?token=abc&vsn=2.0.0");

    socket.connect();
    expect(page.sockets).toHaveLength(1);
    expect(page.sockets[0]!.url).toBe("wss://example.com/socket/websocket?token=abc&vsn=2.0.0");
    page.sockets[0]!.open();
    expect(socket.isConnected()).toBe(true);

    await new Promise<void>((resolve) => socket.disconnect(() => resolve()));
    expect(socket.isConnected()).toBe(false);
    // Let the fake transport deliver its close event (its own 0 ms timer) before counting.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([...page.pending.values()]).toEqual([]);
  });

  it("contains no ws / isomorphic-ws code and no require() call", () => {
    const map = JSON.parse(readFileSync(dist("phx-channels.min.js.map"), "utf8")) as { sources: string[] };
    const fromPackages = map.sources.filter((source) => source.includes("node_modules"));
    expect(fromPackages.every((source) => /node_modules\/eventemitter3\//.test(source))).toBe(true);
    expect(map.sources.some((source) => /src\/(server|cli)\//.test(source))).toBe(false);
    const text = code();
    expect(text).not.toMatch(/\brequire\s*\(/);
    expect(text).not.toMatch(/isomorphic-ws|WebSocketServer|permessage-deflate|Sec-WebSocket-Key/);
    expect(text).toMatch(/\/\/# sourceMappingURL=phx-channels\.min\.js\.map\s*$/);
  });
});

describe("the phx-channels bin", () => {
  it("has exactly one shebang and is executable", () => {
    const text = readFileSync(dist("cli.mjs"), "utf8");
    expect(text.startsWith("#!/usr/bin/env node\n")).toBe(true);
    expect(text.match(/^#!/gm)).toHaveLength(1);
    expect(statSync(dist("cli.mjs")).mode & 0o111).not.toBe(0);
  });

  it("prints usage for --help and exits 0", async () => {
    const { stdout } = await run(process.execPath, [dist("cli.mjs"), "--help"], { cwd: root, timeout: 15_000 });
    expect(stdout).toMatch(/phx-channels/);
  });
});
