/**
 * The `phx-channels` command, spawned as a user would run it, against the reference server that
 * its own `serve` command starts. The command is bundled from src/cli with esbuild into a private
 * file first, so the test always runs the current source and never races a `dist/` rebuild.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
// Inside node_modules so the bundle's external imports (ws, eventemitter3) resolve from the repo.
const OUT_DIR = path.join(ROOT, "node_modules", ".cache", "phx-channels-cli-test", `${process.pid}-${Date.now()}`);
const CLI = path.join(OUT_DIR, "cli.mjs");

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

function launch(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Runs the command to completion, feeding `stdin` (then closing it). */
function run(args: string[], stdin = "", timeoutMs = 15000): Promise<Result> {
  const child = launch(args);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  child.stdin?.end(stdin);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`phx-channels ${args.join(" ")} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Collects a long-running child's output and waits for lines in it. */
class Watched {
  stdout = "";
  stderr = "";
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on("data", (c: Buffer) => (this.stdout += c.toString()));
    child.stderr?.on("data", (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((resolve) => child.once("close", (code, signal) => resolve({ code, signal })));
  }
  async waitFor(pattern: RegExp, timeoutMs = 10000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.stdout.match(pattern);
      if (m) return m;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`no ${pattern} in output\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

/** Starts `phx-channels serve` and waits for the URL it prints. */
async function startServe(port = 0): Promise<{ proc: Watched; url: string; port: number }> {
  const proc = new Watched(launch(["serve", "--port", String(port)]));
  const m = await proc.waitFor(/listening on (http:\/\/127\.0\.0\.1:(\d+))/);
  return { proc, url: m[1] as string, port: Number(m[2]) };
}

async function stop(proc: Watched, signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill(signal);
  return proc.exited;
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const jsonLines = (text: string): Array<Record<string, unknown>> =>
  text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("the phx-channels command", () => {
  let server: { proc: Watched; url: string; port: number };
  let ws: string;

  beforeAll(async () => {
    mkdirSync(OUT_DIR, { recursive: true });
    await build({
      entryPoints: [path.join(ROOT, "src/cli/index.ts")],
      outfile: CLI,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node18",
      packages: "external",
      logLevel: "silent",
    });
    server = await startServe();
    ws = server.url.replace(/^http/, "ws");
  });

  afterAll(async () => {
    if (server) await stop(server.proc);
    // A test that failed half-way must not leave its processes behind.
    for (const child of children) child.kill("SIGKILL");
    rmSync(OUT_DIR, { recursive: true, force: true });
  });

  describe("help and bad arguments", () => {
    /** Runs the dispatcher in-process: argument errors never reach the network, so no spawn is needed. */
    async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(args, { out: (l) => void out.push(l), err: (l) => void err.push(l) });
      return { code, stdout: out.join("\n"), stderr: err.join("\n") };
    }

    it("the installed command prints its usage with --help and exits 0, and exits 2 on a bad option", async () => {
      const [help, bad] = await Promise.all([run(["--help"]), run(["push", "--bogus"])]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/Usage: phx-channels <command>/);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/Unknown option '--bogus'[\s\S]*phx-channels push --help/);
    });

    it("prints usage for each command with --help", async () => {
      for (const cmd of ["serve", "join", "push"]) {
        const r = await inProcess([cmd, "--help"]);
        expect(r.code, cmd).toBe(0);
        expect(r.stdout, cmd).toContain(`Usage: phx-channels ${cmd}`);
      }
    });

    it("prints the package version with --version", async () => {
      const r = await inProcess(["--version"]);
      expect(r.code).toBe(0);
      const { version } = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
      expect(r.stdout).toBe(version);
    });

    it("exits 2 with a hint on an unknown command or missing arguments", async () => {
      const none = await inProcess([]);
      expect(none.code).toBe(2);
      expect(none.stderr).toContain("Usage: phx-channels <command>");

      const unknown = await inProcess(["frobnicate"]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('unknown command "frobnicate"');

      const missing = await inProcess(["join", "ws://127.0.0.1:9/socket"]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/join expects <url> <topic>[\s\S]*phx-channels join --help/);

      const extra = await inProcess(["serve", "now"]);
      expect(extra.code).toBe(2);
      expect(extra.stderr).toContain("serve takes no arguments");

      const port = await inProcess(["serve", "--port", "http"]);
      expect(port.code).toBe(2);
      expect(port.stderr).toContain("--port expects 0..65535");
    });

    it("refuses a payload that is not a JSON object, and a URL that is not a socket URL", async () => {
      const url = "ws://127.0.0.1:9/socket";
      const json = await inProcess(["push", url, "room:lobby", "echo", "{oops"]);
      expect(json.code).toBe(2);
      expect(json.stderr).toContain("not valid JSON");
      const array = await inProcess(["push", url, "room:lobby", "echo", "[1,2]"]);
      expect(array.code).toBe(2);
      expect(array.stderr).toContain("must be a JSON object");
      const scheme = await inProcess(["push", "ftp://example/socket", "room:lobby", "echo"]);
      expect(scheme.code).toBe(2);
      expect(scheme.stderr).toContain("must start with ws://");
      const pair = await inProcess(["push", url, "room:lobby", "echo", "--param", "novalue"]);
      expect(pair.code).toBe(2);
      expect(pair.stderr).toContain("--param expects key=value");
    });
  });

  describe("serve", { timeout: 40000 }, () => {
    it("serves the demo at / and the bundles at /dist/, with the socket beside them", async () => {
      const page = await fetch(`${server.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(await page.text()).toContain('<script src="/dist/phx-channels.min.js"></script>');
      const esm = await fetch(`${server.url}/esm.html`);
      expect(await esm.text()).toContain('from "/dist/index.mjs"');
      // The ESM build has no dependency left to map: a plain module import works without an import map.
      const bundle = await (await fetch(`${server.url}/dist/index.mjs`)).text();
      expect(bundle).not.toMatch(/^import .* from ["'][^./]/m);
      expect((await fetch(`${server.url}/nope.html`)).status).toBe(404);
      expect((await fetch(`${server.url}/%2e%2e/package.json`)).status).toBe(404);
      // The example app's sockets answer on the same port (a long-poll session starts with 410 + token).
      const lp = (await (await fetch(`${server.url}/socket/longpoll?vsn=2.0.0`)).json()) as { status: number; token?: string };
      expect(lp.status).toBe(410);
      expect(typeof lp.token).toBe("string");
    });

    it("stops cleanly on SIGINT and on SIGTERM, exiting 0", async () => {
      const stopsWith = async (signal: NodeJS.Signals): Promise<void> => {
        const s = await startServe();
        // An open connection must not keep it from stopping.
        const joiner = new Watched(launch(["join", `${s.url.replace(/^http/, "ws")}/socket`, "room:lobby", "--listen", "--json"]));
        await joiner.waitFor(/"type":"joined"/);
        const { code } = await stop(s.proc, signal);
        expect(code, signal).toBe(0);
        expect(s.proc.stderr).toContain("stopped");
        await stop(joiner, "SIGINT");
      };
      await Promise.all([stopsWith("SIGINT"), stopsWith("SIGTERM")]);
    });

    it("says so when the port is taken", async () => {
      const r = await run(["serve", "--port", String(server.port)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("already in use");
    });
  });

  // Each case uses its own processes (and topic where it listens), so they can run side by side.
  // Spawning Node is slow on a loaded 2-core machine: give each case room beyond the 20 s default.
  describe.concurrent("push", { timeout: 40000 }, () => {
    it("prints the reply's response and exits 0 on ok", async () => {
      const r = await run(["push", `${ws}/socket`, "room:lobby", "echo", '{"hello":"wörld","n":1}']);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ hello: "wörld", n: 1 });
    });

    it("prints an error reply and exits 1", async () => {
      const r = await run(["push", `${ws}/socket`, "room:lobby", "fail", "--json"]);
      expect(r.code).toBe(1);
      expect(jsonLines(r.stdout)).toEqual([{ type: "reply", event: "fail", status: "error", response: { reason: "failed" } }]);
      expect(r.stderr).toContain('answered fail with status "error"');
    });

    it("exits 1 when no reply comes in time, and 0 with --no-reply once the server has the push", async () => {
      const timedOut = await run(["push", `${ws}/socket`, "room:lobby", "noreply", "--timeout", "300"]);
      expect(timedOut.code).toBe(1);
      expect(timedOut.stderr).toContain("no reply to noreply within 300 ms");

      const listener = new Watched(launch(["join", `${ws}/socket`, "room:cli-noreply", "--listen", "--json"]));
      await listener.waitFor(/"type":"joined"/);
      const sent = await run(["push", `${ws}/socket`, "room:cli-noreply", "broadcast", '{"shout":1}', "--no-reply"]);
      expect(sent.code).toBe(0);
      await listener.waitFor(/"event":"broadcasted","payload":\{"shout":1\}/);
      await stop(listener, "SIGINT");
    });

    it("exits 4 with the server's reason when the join is refused", async () => {
      const r = await run(["push", `${ws}/socket`, "room:lobby", "echo", "--join-param", "reject=yes"]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('join room:lobby refused by the server: {"reason":"rejected"}');
    });

    it("exits 3 with a clear message when the server refuses the connection", async () => {
      const r = await run(["push", `${ws}/auth_socket`, "room:lobby", "whoami"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/cannot connect to ws:\/\/127\.0\.0\.1:\d+\/auth_socket: .*403.*refused by the server/);
    });

    it("exits 3 when nothing listens at the URL", async () => {
      const port = await closedPort();
      const r = await run(["push", `ws://127.0.0.1:${port}/socket`, "room:lobby", "echo"]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/cannot connect to .*ECONNREFUSED.*nothing is listening/);
    });

    it("authenticates with --token (WebSocket sub-protocol) and with --param over --longpoll", async () => {
      const [token, lp] = await Promise.all([
        run(["push", `${ws}/auth_socket`, "room:lobby", "whoami", "--token", "secret"]),
        run(["push", `${server.url}/auth_socket`, "room:lobby", "whoami", "--param", "token=secret", "--longpoll"]),
      ]);
      expect(token.code).toBe(0);
      expect(JSON.parse(token.stdout)).toEqual({ user: "authed", auth_via: "auth_token" });

      expect(lp.code).toBe(0);
      expect(JSON.parse(lp.stdout)).toEqual({ user: "authed", auth_via: "params" });
    });
  });

  describe.concurrent("join", { timeout: 40000 }, () => {
    it("pushes each stdin line, prints replies and the topic's messages as JSON lines, then exits", async () => {
      const input = ['echo {"a":1}', "", "# a comment", "fail", 'broadcast {"b":2}', "push_binary"].join("\n") + "\n";
      const r = await run(["join", `${ws}/socket`, "room:cli-join", "--json", "--timeout", "1000"], input);
      expect(r.code).toBe(0);
      const lines = jsonLines(r.stdout);
      expect(lines[0]).toEqual({ type: "joined", topic: "room:cli-join", response: {}, rejoin: false });
      expect(lines).toContainEqual({ type: "reply", event: "echo", status: "ok", response: { a: 1 } });
      expect(lines).toContainEqual({ type: "reply", event: "fail", status: "error", response: { reason: "failed" } });
      expect(lines).toContainEqual({ type: "message", topic: "room:cli-join", event: "broadcasted", payload: { b: 2 }, ref: null, join_ref: null });
      // `broadcast` answers nothing: its push ends in a timeout, reported as such.
      expect(lines).toContainEqual({ type: "reply", event: "broadcast", status: "timeout", response: null });
      // Binary pushes from the server are printed as base64.
      expect(lines).toContainEqual(expect.objectContaining({ type: "message", event: "binary_push", payload: { $binary: "AQIDBP8=" } }));
      expect(lines).toContainEqual({ type: "reply", event: "push_binary", status: "ok", response: {} });
    });

    it("prints readable lines without --json, and reports a bad line without stopping (exit 1)", async () => {
      const r = await run(["join", `${ws}/socket`, "room:lobby"], 'echo {"x":1}\necho {nope\necho {"y":2}\n');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('reply echo ok {"x":1}');
      expect(r.stdout).toContain('reply echo ok {"y":2}');
      expect(r.stderr).toContain("line 2: the payload is not valid JSON");
      expect(r.stderr).toContain("joined room:lobby");
    });

    it("ends by itself when the server closes the channel", async () => {
      const joiner = new Watched(launch(["join", `${ws}/socket`, "room:cli-stop", "--json"]));
      await joiner.waitFor(/"type":"joined"/);
      joiner.child.stdin?.write("stop\n");
      const { code } = await joiner.exited;
      expect(code).toBe(0);
      expect(joiner.stdout).toContain('"event":"phx_close"');
      expect(joiner.stderr).toContain("the server closed room:cli-stop");
    });

    it("works over LongPoll", async () => {
      const r = await run(["join", `${server.url}/socket`, "room:lobby", "--longpoll", "--json"], 'echo {"lp":true}\n');
      expect(r.code).toBe(0);
      expect(jsonLines(r.stdout)).toContainEqual({ type: "reply", event: "echo", status: "ok", response: { lp: true } });
    });

    it("exits 4 when the join is refused, and 3 when the connect is", async () => {
      const [join, connect] = await Promise.all([
        run(["join", `${ws}/socket`, "room:lobby", "--join-param", "reject=1"]),
        run(["join", `${ws}/auth_socket`, "room:lobby", "--param", "token=wrong"]),
      ]);
      expect(join.code).toBe(4);
      expect(join.stderr).toContain("refused by the server");

      expect(connect.code).toBe(3);
      expect(connect.stderr).toContain("403");
    });

    it("reconnects and rejoins by itself when the server restarts on the same port", async () => {
      const first = await startServe();
      const url = `ws://127.0.0.1:${first.port}/socket`;
      const joiner = new Watched(launch(["join", url, "room:cli-restart", "--listen", "--json"]));
      await joiner.waitFor(/"type":"joined".*"rejoin":false/);

      await stop(first.proc);
      await joiner.waitFor(/"type":"state".*"to":"reconnecting"/);
      const second = await startServe(first.port);
      try {
        await joiner.waitFor(/"type":"joined".*"rejoin":true/, 15000);
        const sent = await run(["push", url, "room:cli-restart", "broadcast", '{"after":"restart"}', "--no-reply"]);
        expect(sent.code).toBe(0);
        await joiner.waitFor(/"event":"broadcasted","payload":\{"after":"restart"\}/);
        const { code } = await stop(joiner, "SIGINT");
        expect(code).toBe(0);
      } finally {
        await stop(second.proc);
      }
    }, 45000);
  });
});
