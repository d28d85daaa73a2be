/**
 * `phx-channels serve`: the reference server's example app (every socket path and channel of
 * the conformance recordings), with the demo pages at `/`, the built bundles at `/dist/` and
 * the one ESM dependency of `dist/index.mjs` at `/vendor/`, so the ES module page works
 * without a bundler. Stops cleanly on SIGINT / SIGTERM.
 * @module
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createExampleApp, type Endpoint } from "../server/index";
import { CliUsageError, EXIT, parsePort } from "./args";
import type { Sink } from "./output";
import { serveStatic, type StaticMount } from "./static";

export const SERVE_HELP = `Usage: phx-channels serve [options]

Runs the reference server's example app: sockets /socket (WebSocket and LongPoll),
/auth_socket, /short_socket, ... with channels room:*, presence:* and slow:*.
Serves the demo chat at / and the client bundles at /dist/ when they exist
(from a checkout of the repository: \`npm start\` builds first).

Options:
  --host HOST        interface to bind (default 127.0.0.1)
  --port PORT        port to listen on, 0 for any free one (default 4000)
  --demo DIR         directory served at / (default: the package's demo/)
  --dist DIR         directory served at /dist/ (default: the package's dist/)
  --no-websocket     refuse WebSocket upgrades (HTTP 403), e.g. to watch the LongPoll fallback
  -h, --help         show this help

Stop it with Ctrl-C (SIGINT) or SIGTERM.`;

/** Options of {@link startDemoServer}. */
export interface DemoServerOptions {
  /** Default "127.0.0.1". */
  host?: string;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Served at `/`; null or missing directory: not served. */
  demoDir?: string | null;
  /** Served at `/dist/`; null or missing directory: not served. */
  distDir?: string | null;
  /** false: refuse every WebSocket upgrade with 403, leaving LongPoll as the only way in. Default true. */
  websocket?: boolean;
  /** Silence the server's crash/refusal log (tests). Default false. */
  quiet?: boolean;
}

/** A running `serve`. */
export interface DemoServer {
  endpoint: Endpoint;
  host: string;
  port: number;
  /** `http://host:port` */
  url: string;
  /** `ws://host:port`, the base of the socket URLs (e.g. `${wsUrl}/socket`). */
  wsUrl: string;
  /** Closes every connection and the listener; resolves when nothing is left open. */
  close(): Promise<void>;
}

/** The package root (the directory whose package.json is named phx-channels), seen from this file. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string | null {
  let dir = path.dirname(from);
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "phx-channels") return dir;
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function refuseUpgrade(_req: IncomingMessage, socket: Duplex): void {
  socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
}

/**
 * Starts the example app with the demo. Used by `phx-channels serve` and the browser tests.
 * @example
 * ```ts
 * const server = await startDemoServer({ port: 0, demoDir: "demo", distDir: "dist" });
 * console.log(`demo at ${server.url}/, socket at ${server.wsUrl}/socket`);
 * await server.close();
 * ```
 */
export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const host = options.host ?? "127.0.0.1";
  const mounts: StaticMount[] = [];
  if (options.distDir && existsSync(options.distDir)) mounts.push({ prefix: "/dist/", dir: options.distDir });
  if (options.demoDir && existsSync(options.demoDir)) mounts.push({ prefix: "/", dir: options.demoDir });

  const httpHandler = (req: IncomingMessage, res: ServerResponse): void => {
    serveStatic(mounts, req, res).then(
      (answered) => {
        if (!answered && !res.headersSent) res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      },
      () => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      },
    );
  };

  const endpoint = createExampleApp({ httpHandler, ...(options.quiet ? { logger: false as const } : {}) });
  const server: Server = createServer();
  endpoint.attach(server);
  if (options.websocket === false) {
    // The endpoint's own upgrade listener goes, so no upgrade ever reaches it.
    server.removeAllListeners("upgrade");
    server.on("upgrade", refuseUpgrade);
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off("listening", onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve();
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(options.port ?? 4000, host);
  }).catch(async (err: unknown) => {
    await endpoint.close();
    throw err;
  });

  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    endpoint,
    host,
    port,
    url: `http://${shownHost}:${port}`,
    wsUrl: `ws://${shownHost}:${port}`,
    close: () =>
      (closing ??= (async () => {
        await endpoint.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })()),
  };
}

/** Runs `serve` until SIGINT / SIGTERM; resolves with the exit code. */
export async function runServe(argv: string[], sink: Sink): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string" },
      demo: { type: "string" },
      dist: { type: "string" },
      "no-websocket": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    sink.out(SERVE_HELP);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new CliUsageError(`serve takes no arguments, got "${positionals.join(" ")}"`);
  const root = packageRoot();
  const demoDir = values.demo ? path.resolve(values.demo) : root ? path.join(root, "demo") : null;
  const distDir = values.dist ? path.resolve(values.dist) : root ? path.join(root, "dist") : null;
  for (const [flag, dir] of [["--demo", values.demo], ["--dist", values.dist]] as const) {
    if (dir !== undefined && !existsSync(dir)) throw new CliUsageError(`${flag}: no such directory "${dir}"`);
  }

  const port = parsePort(values.port, 4000);
  let running: DemoServer;
  try {
    running = await startDemoServer({
      host: values.host,
      port,
      demoDir,
      distDir,
      websocket: !values["no-websocket"],
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === "EADDRINUSE" ? "the port is already in use (try --port 0)" : err instanceof Error ? err.message : String(err);
    sink.err(`phx-channels: cannot listen on ${values.host}:${port}: ${why}`);
    return EXIT.failed;
  }

  const hasDemo = demoDir !== null && existsSync(path.join(demoDir, "index.html"));
  const hasDist = distDir !== null && existsSync(path.join(distDir, "phx-channels.min.js"));
  sink.out(`phx-channels example app listening on ${running.url}`);
  sink.out(`  sockets: ${running.wsUrl}/socket (WebSocket${values["no-websocket"] ? " refused" : ""} + LongPoll), /auth_socket, /short_socket, ...`);
  if (hasDemo) sink.out(`  demo:    ${running.url}/ (script tag) and ${running.url}/esm.html (ES module)`);
  if (hasDemo && !hasDist) sink.err("  note: no built client in dist/ yet: run `npm run build` for the demo pages to work");
  sink.out("Press Ctrl-C to stop.");

  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      sink.err(`phx-channels: ${signal} received, closing connections`);
      running.close().then(
        () => {
          sink.err("phx-channels: stopped");
          resolve(EXIT.ok);
        },
        (err: unknown) => {
          sink.err(`phx-channels: error while stopping: ${String(err)}`);
          resolve(EXIT.failed);
        },
      );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
