/**
 * Phoenix LiveView's own JavaScript client (npm phoenix_live_view, loaded with a plain script tag)
 * driving phx-channels' Socket in a real browser, against the reference server with a small fake
 * LiveView channel (`lv:*`) that answers in LiveView's rendered-diff format.
 *
 * The test is differential: every scenario runs once with `PhxChannels.Socket` and once with
 * phoenix.js's own `Phoenix.Socket` (the client LiveView is written for), with the same
 * assertions, and a last test checks that the server saw the same messages from both.
 * Each run saves a screenshot under test/e2e/screenshots/ and fails on any page error, console
 * error or LiveView error diagnostic, apart from the network errors a scenario causes on purpose.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Endpoint, error, ok, type ChannelDef, type ChannelSocket, type JoinResult } from "../../src/server/index";
import { NETWORK_NOISE, SCREENSHOTS, hasChromium, launchChromium } from "./browser";
import { ROOT, prepareBundles, type Bundles } from "./bundles";

const LV_DIR = path.join(ROOT, "node_modules/phoenix_live_view");
const LV_VERSION = (JSON.parse(readFileSync(path.join(LV_DIR, "package.json"), "utf8")) as { version: string }).version;
const PAGE = readFileSync(path.join(ROOT, "test/e2e/liveview/page.html"), "utf8");

/** The id a Phoenix app gives the main LiveView's root element; the channel topic is `lv:<id>`. */
const VIEW_ID = "phx-GJqLbHwBRBhRxyMB";
const TOPIC = `lv:${VIEW_ID}`;
const SESSION = "SFMyNTY.g2gDaAJhBnQAAAAIZAACaWRtAAAAFHBoeC1HSnFMYkh3QlJCaFJ4eU1C.fake-session";
const STATIC = "SFMyNTY.g2gDaAJhBnQAAAADZAAKYXNzaWduX25ld2pkAAVmbGFzaHQAAAAA.fake-static";

interface Client {
  /** Used in test names and screenshot names. */
  name: "phx-channels" | "phoenix.js";
  /** The `client` query parameter of the page. */
  id: "phx-channels" | "phoenix";
}
const CLIENTS: readonly Client[] = [
  { name: "phx-channels", id: "phx-channels" },
  { name: "phoenix.js", id: "phoenix" },
];

interface Tab {
  page: Page;
  errors: string[];
}

/**
 * The fake LiveView's state, kept outside the server so it survives restarts (as an app's
 * database would), and the knobs a scenario turns to make its mounts fail.
 */
interface ViewState {
  count: number;
  news: string;
  /** How many of the next joins to refuse (a LiveView whose mount fails). */
  refuseJoins: number;
  /** How many of the next joins to leave unanswered until the test ends (a mount that hangs). */
  hangJoins: number;
}

interface LvServer {
  endpoint: Endpoint;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Replaces what changes from run to run (ports) so traces of two runs compare. */
function normalize(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null).replace(/127\.0\.0\.1:\d+/g, "HOST"));
}

describe.skipIf(!hasChromium)("Phoenix LiveView's client on phx-channels, differential against phoenix.js", () => {
  let browser: Browser;
  let bundles: Bundles;
  let servers: LvServer[] = [];
  let context: BrowserContext | undefined;
  let tabs: Tab[] = [];
  let allowedNoise: RegExp[] = [];
  let serverErrors: string[] = [];
  /** The view's state; survives server restarts within one test. */
  let state: ViewState = { count: 0, news: "", refuseJoins: 0, hangJoins: 0 };
  /** Answers the joins left hanging (after the test, to a connection long gone). */
  let hanging: Array<() => void> = [];
  /** How many times the counter page was served in the current test. */
  let pageLoads = 0;
  /** What the server saw in the current test, in order. */
  let trace: string[] = [];
  /** The joined LiveView channel of the current connection, for server pushes. */
  let live: ChannelSocket | undefined;
  /** scenario -> client -> trace, compared by the last test. */
  const traces = new Map<string, Map<string, string[]>>();

  beforeAll(async () => {
    bundles = await prepareBundles();
    console.info(`e2e liveview: client bundles from ${bundles.source} (${bundles.distDir}), LiveView ${LV_VERSION}`);
    browser = await launchChromium();
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
    await Promise.all(servers.map((s) => s.close()));
    servers = [];
    // Their connections are gone: the server drops these answers.
    for (const release of hanging) release();
    hanging = [];
    live = undefined;
    const all = tabs.flatMap((t) => t.errors);
    const unexpected = all.filter((e) => !allowedNoise.some((re) => re.test(e)));
    if (all.length > unexpected.length) console.info(`e2e liveview: tolerated ${all.length - unexpected.length} expected network error(s), e.g. ${all[0]}`);
    tabs = [];
    allowedNoise = [];
    const errors = serverErrors;
    serverErrors = [];
    expect(unexpected, "errors in the browser console").toEqual([]);
    expect(errors, "errors reported by the server").toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    bundles?.cleanup();
  });

  /** The slots of the view's template, as LiveView's rendered format numbers them. */
  function slots(socket: ChannelSocket, mounts: unknown): Record<string, string> {
    return {
      "0": String(state.count),
      "1": state.news,
      "2": String(mounts),
      "3": socket.connectInfo.transport,
    };
  }

  /**
   * A LiveView as the server side of LiveView would answer: the join reply carries the whole
   * rendered tree (static parts "s" around the dynamic slots), a click replies with a diff of
   * the slots that changed, and the server may push a "diff" at any time.
   */
  const lvChannel: ChannelDef = {
    join(topic, payload, socket) {
      trace.push(`join ${topic} ${JSON.stringify(normalize(payload))}`);
      const p = (payload ?? {}) as { session?: unknown; static?: unknown; params?: { _mounts?: unknown } };
      // A real LiveView refuses a join without its signed session; so does this one.
      if (p.session !== SESSION || p.static !== STATIC) return { error: { reason: "stale" } };
      if (state.refuseJoins > 0) {
        state.refuseJoins -= 1;
        return { error: { reason: "mount failed" } };
      }
      if (state.hangJoins > 0) {
        state.hangJoins -= 1;
        return new Promise<JoinResult>((resolve) => hanging.push(() => resolve({ error: { reason: "too late" } })));
      }
      socket.afterJoin(() => (live = socket));
      socket.onTerminate((reason) => {
        trace.push(`terminate ${reason}`);
        if (live === socket) live = undefined;
      });
      const rendered = {
        ...slots(socket, p.params?._mounts),
        "4": "",
        s: [
          '<h1>Counter</h1><p>count: <span id="count">',
          '</span></p><p>news: <span id="news">',
          '</span></p><p>mounts: <span id="mounts">',
          '</span> over <span id="transport">',
          '</span></p><button id="inc" phx-click="inc" phx-value-by="1">+1</button>',
          ' <button id="crash" phx-click="crash">crash the view</button>',
        ],
      };
      return { ok: true, reply: { rendered, liveview_version: LV_VERSION } };
    },
    handleIn(event, payload) {
      trace.push(`${event} ${JSON.stringify(normalize(payload))}`);
      const p = (payload ?? {}) as { type?: unknown; event?: unknown; value?: { by?: unknown } };
      // A LiveView process that raises: Phoenix sends phx_error and LiveView rejoins.
      if (p.event === "crash") throw new Error("the view crashed on purpose");
      if (event !== "event" || p.type !== "click" || p.event !== "inc") return error({ reason: "unexpected" });
      state.count += Number(p.value?.by ?? 1);
      return ok({ diff: { "0": String(state.count) } });
    },
  };

  function httpHandler(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const assets: Record<string, string> = {
      "/assets/phx-channels.min.js": path.join(bundles.distDir, "phx-channels.min.js"),
      "/assets/phoenix.min.js": path.join(ROOT, "node_modules/phoenix/priv/static/phoenix.min.js"),
      "/assets/phoenix_live_view.min.js": path.join(LV_DIR, "priv/static/phoenix_live_view.min.js"),
    };
    const file = assets[url.pathname];
    if (file) {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" }).end(readFileSync(file));
      return;
    }
    if (url.pathname === "/counter") {
      pageLoads += 1;
      const script = url.searchParams.get("client") === "phoenix" ? "/assets/phoenix.min.js" : "/assets/phx-channels.min.js";
      const html = PAGE.replaceAll("{{CLIENT_SCRIPT}}", script)
        .replaceAll("{{VIEW_ID}}", VIEW_ID).replaceAll("{{SESSION}}", SESSION).replaceAll("{{STATIC}}", STATIC);
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(html);
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  }

  /** The reference server with the LiveView socket at /live (WebSocket unless refused, and long-poll). */
  async function serve(opts: { port?: number; websocket?: boolean } = {}): Promise<LvServer> {
    const endpoint = new Endpoint({
      httpHandler,
      logger: {
        warn: (m, meta) => serverErrors.push(`warn: ${m} ${JSON.stringify(meta ?? {})}`),
        error: (m, meta) => serverErrors.push(`error: ${m} ${String((meta as { error?: unknown } | undefined)?.error ?? "")}`),
      },
    });
    endpoint.socket("/live", {
      connect: (params) => {
        trace.push(`connect ${JSON.stringify(normalize(params))}`);
        return params._csrf_token === "t" ? {} : false;
      },
      channels: { "lv:*": lvChannel },
      websocket: opts.websocket ?? true,
      longpoll: { windowMs: 2000 },
    });
    const port = await endpoint.listen({ host: "127.0.0.1", port: opts.port ?? 0 });
    const server: LvServer = { endpoint, port, url: `http://127.0.0.1:${port}`, close: () => endpoint.close() };
    servers.push(server);
    return server;
  }

  async function open(url: string): Promise<Tab> {
    context ??= await browser.newContext({ viewport: { width: 800, height: 400 } });
    const page = await context.newPage();
    const tab: Tab = { page, errors: [] };
    page.on("pageerror", (err) => tab.errors.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error" || msg.type() === "warning") tab.errors.push(`console ${msg.type()}: ${msg.text()}`);
    });
    tabs.push(tab);
    await page.goto(url);
    return tab;
  }

  /** Opens the counter page with LiveView on `client`'s Socket. */
  async function openCounter(s: LvServer, client: Client, extra = ""): Promise<Page> {
    const { page } = await open(`${s.url}/counter?client=${client.id}${extra}`);
    // The page says which Socket class it handed to LiveSocket, so a mix-up cannot pass silently.
    expect(await page.evaluate(() => (window as unknown as { socketClass: string }).socketClass)).toBe(client.id === "phoenix" ? "Phoenix.Socket" : "PhxChannels.Socket");
    return page;
  }

  const root = `#${VIEW_ID}`;

  async function waitForClass(page: Page, cls: string, timeout = 5000): Promise<void> {
    await page.locator(`${root}.${cls}`).waitFor({ timeout });
  }

  async function expectText(page: Page, selector: string, text: string): Promise<void> {
    await expect.poll(() => page.textContent(selector), { timeout: 5000 }).toBe(text);
  }

  async function click(page: Page): Promise<void> {
    await page.click("#inc", { timeout: 5000 });
  }

  /** Every class list the LiveView root had on this tab, reloads included. */
  function rootClasses(page: Page): Promise<string[]> {
    return page.evaluate(() => (window as unknown as { rootClasses(): string[] }).rootClasses());
  }

  /** LiveView's error-level diagnostics (what it reports through `phx:live-view:diagnostic`). */
  function diagnostics(page: Page): Promise<string[]> {
    return page.evaluate(() => (window as unknown as { diagnostics: string[] }).diagnostics);
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  /**
   * Checks the classes the root went through on this tab (consecutive duplicates folded) and
   * keeps them with what the server saw, for the comparison of the two clients.
   */
  async function record(page: Page, scenario: string, client: Client, classes: string[]): Promise<void> {
    const shown = await rootClasses(page);
    expect(shown, "the root's classes, in order").toEqual(classes);
    trace.push(`root classes: ${shown.join(" | ")}`);
    let byClient = traces.get(scenario);
    if (!byClient) traces.set(scenario, (byClient = new Map()));
    byClient.set(client.name, trace);
    // LV_TRACE=1 prints what the server saw, to read a divergence.
    if (process.env.LV_TRACE) console.info(`${scenario} (${client.name}):\n  ${trace.join("\n  ")}`);
  }

  /** Starts a scenario: a fresh view state and trace. */
  function begin(): void {
    state = { count: 0, news: "", refuseJoins: 0, hangJoins: 0 };
    trace = [];
    pageLoads = 0;
  }

  for (const client of CLIENTS) {
    describe(`with ${client.name}'s Socket`, () => {
      it("the LiveView mounts: the server-rendered content replaces the dead render and the root is phx-connected", async () => {
        begin();
        const s = await serve();
        const page = await openCounter(s, client);
        await waitForClass(page, "phx-connected");
        await expectText(page, "#count", "0");
        await expectText(page, "#mounts", "0");
        await expectText(page, "#transport", "websocket");
        expect(await page.locator("#dead").count()).toBe(0);
        expect(await page.evaluate(() => (window as unknown as { liveSocket: { isConnected(): boolean } }).liveSocket.isConnected())).toBe(true);
        expect(await diagnostics(page)).toEqual([]);
        await screenshot(page, `liveview-mount-${client.id}`);
        await record(page, "mount", client, ["phx-loading", "phx-connected"]);
        // The join carried the session, static and connect params LiveView read from the page.
        expect(trace[0]).toMatch(/^connect \{"_csrf_token":"t"/);
        const join = trace.find((t) => t.startsWith("join "));
        expect(join).toContain(`"session":"${SESSION}"`);
        expect(join).toContain(`"static":"${STATIC}"`);
        expect(join).toContain('"url":"http://HOST/counter?client=');
        expect(join).toContain('"_mounts":0');
      }, 20000);

      it("a phx-click button sends the event and the reply's diff updates the DOM (0 -> 1 -> 2)", async () => {
        begin();
        const s = await serve();
        const page = await openCounter(s, client);
        await waitForClass(page, "phx-connected");
        await expectText(page, "#count", "0");
        await click(page);
        await expectText(page, "#count", "1");
        await click(page);
        await expectText(page, "#count", "2");
        // The click's loading state is cleared once the reply is applied.
        await expect.poll(() => page.locator("#inc.phx-click-loading").count(), { timeout: 5000 }).toBe(0);
        expect(await diagnostics(page)).toEqual([]);
        await screenshot(page, `liveview-click-${client.id}`);
        await record(page, "click", client, ["phx-loading", "phx-connected"]);
        expect(trace.filter((t) => t.startsWith("event "))).toEqual([
          'event {"type":"click","event":"inc","value":{"by":"1","value":""}}',
          'event {"type":"click","event":"inc","value":{"by":"1","value":""}}',
        ]);
      }, 20000);

      it("a diff the server sends on its own updates the DOM, by broadcast and by push to the one view", async () => {
        begin();
        const s = await serve();
        const page = await openCounter(s, client);
        await waitForClass(page, "phx-connected");
        await expect.poll(() => live !== undefined, { timeout: 5000 }).toBe(true);

        state.news = "deploy at 5";
        s.endpoint.broadcast(TOPIC, "diff", { "1": state.news });
        await expectText(page, "#news", "deploy at 5");

        state.count = 41;
        live?.push("diff", { "0": String(state.count) });
        await expectText(page, "#count", "41");
        // The view keeps working from the pushed state.
        await click(page);
        await expectText(page, "#count", "42");
        expect(await diagnostics(page)).toEqual([]);
        await screenshot(page, `liveview-server-diff-${client.id}`);
        await record(page, "server diff", client, ["phx-loading", "phx-connected"]);
      }, 20000);

      it("when the server goes away the root shows phx-loading/phx-error, and after a restart on the same port it rejoins and clicks work again", async () => {
        begin();
        allowedNoise = NETWORK_NOISE;
        const first = await serve();
        const port = first.port;
        const page = await openCounter(first, client);
        await waitForClass(page, "phx-connected");
        await click(page);
        await expectText(page, "#count", "1");

        await first.close();
        servers = servers.filter((s) => s !== first);
        // Not connected any more: LiveView marks the view as a client-side error while it retries.
        await waitForClass(page, "phx-loading");
        await waitForClass(page, "phx-client-error");
        expect(await page.locator(`${root}.phx-connected`).count()).toBe(0);
        await screenshot(page, `liveview-disconnected-${client.id}`);

        await serve({ port });
        await waitForClass(page, "phx-connected", 10000);
        // The rejoin is LiveView's second mount of this view: its params said so.
        await expectText(page, "#mounts", "1");
        await expectText(page, "#count", "1");
        await click(page);
        await expectText(page, "#count", "2");
        expect(await page.locator(`${root}.phx-loading`).count()).toBe(0);
        await screenshot(page, `liveview-reconnected-${client.id}`);
        await record(page, "restart", client, ["phx-loading", "phx-connected", "phx-client-error phx-error phx-loading", "phx-connected"]);
      }, 30000);

      it("falls back to long-poll (longPollFallbackMs: 200) when WebSocket is refused; LiveView mounts and clicks work over it", async () => {
        begin();
        allowedNoise = NETWORK_NOISE;
        const s = await serve({ websocket: false });
        const page = await openCounter(s, client, "&fallback=200");
        await waitForClass(page, "phx-connected", 10000);
        await expectText(page, "#transport", "longpoll");
        await click(page);
        await expectText(page, "#count", "1");
        state.news = "over long-poll";
        s.endpoint.broadcast(TOPIC, "diff", { "1": state.news });
        await expectText(page, "#news", "over long-poll");
        await click(page);
        await expectText(page, "#count", "2");
        expect(await diagnostics(page)).toEqual([]);
        await screenshot(page, `liveview-longpoll-${client.id}`);
        await record(page, "long-poll fallback", client, ["phx-loading", "phx-connected"]);
      }, 30000);

      it("when the view crashes on the server, the root shows phx-server-error and LiveView rejoins by itself", async () => {
        begin();
        const s = await serve();
        const page = await openCounter(s, client);
        await waitForClass(page, "phx-connected");
        await click(page);
        await expectText(page, "#count", "1");

        await page.click("#crash", { timeout: 5000 });
        // The socket is still up: LiveView blames the server and waits for the channel's rejoin.
        await waitForClass(page, "phx-server-error");
        await screenshot(page, `liveview-crashed-${client.id}`);
        await waitForClass(page, "phx-connected", 10000);
        await expectText(page, "#mounts", "1");
        await click(page);
        await expectText(page, "#count", "2");
        expect(await diagnostics(page)).toEqual(["view.crashed: view crashed"]);
        expect(serverErrors.length, "the crash the server reported").toBeGreaterThan(0);
        serverErrors = serverErrors.filter((e) => !e.includes("the view crashed on purpose"));
        await record(page, "view crash", client, ["phx-loading", "phx-connected", "phx-error phx-loading phx-server-error", "phx-connected"]);
        expect(trace.filter((t) => t.startsWith("terminate"))[0]).toBe("terminate crash");
      }, 30000);

      it("when the server refuses the join, LiveView shows phx-server-error and reloads the page, which then mounts", async () => {
        begin();
        state.refuseJoins = 1;
        const s = await serve();
        const { page } = await open(`${s.url}/counter?client=${client.id}&reloadJitter=300`);
        // The reload is a new page: it joins again and the server accepts this time.
        await expect.poll(() => pageLoads, { timeout: 5000 }).toBe(2);
        await waitForClass(page, "phx-connected", 10000);
        await screenshot(page, `liveview-join-refused-then-reloaded-${client.id}`);
        expect(await diagnostics(page)).toEqual([]);
        await click(page);
        await expectText(page, "#count", "1");
        expect(state.refuseJoins).toBe(0);
        expect(trace.filter((t) => t.startsWith("join ")).length).toBe(2);
        await record(page, "join refused", client, ["phx-loading", "phx-error phx-loading phx-server-error", "phx-loading", "phx-connected"]);
      }, 30000);

      it("when the join times out (socket timeout: 300 ms), LiveView shows phx-server-error and reloads the page, which then mounts", async () => {
        begin();
        state.hangJoins = 1;
        const s = await serve();
        const { page } = await open(`${s.url}/counter?client=${client.id}&reloadJitter=300&firstTimeout=300`);
        await expect.poll(() => pageLoads, { timeout: 5000 }).toBe(2);
        await waitForClass(page, "phx-connected", 10000);
        expect(await diagnostics(page)).toEqual([]);
        await click(page);
        await expectText(page, "#count", "1");
        expect(state.hangJoins).toBe(0);
        expect(hanging).toHaveLength(1);
        await record(page, "join timeout", client, ["phx-loading", "phx-error phx-loading phx-server-error", "phx-loading", "phx-connected"]);
      }, 30000);

      it("liveSocket.disconnect() leaves the view disconnected and connect() brings it back (params given as a function)", async () => {
        begin();
        const s = await serve();
        const page = await openCounter(s, client, "&paramsFn=1");
        await waitForClass(page, "phx-connected");
        await click(page);
        await expectText(page, "#count", "1");

        await page.evaluate(
          () =>
            new Promise<void>((resolve) => {
              (window as unknown as { liveSocket: { disconnect(cb: () => void): void } }).liveSocket.disconnect(resolve);
            }),
        );
        expect(await page.evaluate(() => (window as unknown as { liveSocket: { isConnected(): boolean } }).liveSocket.isConnected())).toBe(false);
        await waitForClass(page, "phx-client-error");
        await expect.poll(() => s.endpoint.connectionCount, { timeout: 5000 }).toBe(0);

        await page.evaluate(() => (window as unknown as { liveSocket: { connect(): void } }).liveSocket.connect());
        await waitForClass(page, "phx-connected", 10000);
        await expectText(page, "#mounts", "1");
        await click(page);
        await expectText(page, "#count", "2");
        expect(await diagnostics(page)).toEqual([]);
        await record(page, "disconnect and connect", client, ["phx-loading", "phx-connected", "phx-client-error phx-error phx-loading", "phx-connected"]);
        // Params from the function reach the connect request each time.
        expect(trace.filter((t) => t.startsWith("connect "))).toHaveLength(2);
        expect(trace.filter((t) => t.startsWith("connect ")).every((t) => t.includes('"_csrf_token":"t"'))).toBe(true);
      }, 30000);

      it("liveSocket.replaceTransport(LongPoll) moves a connected view from WebSocket to long-poll, where it rejoins and works", async () => {
        begin();
        const s = await serve();
        const page = await openCounter(s, client);
        await waitForClass(page, "phx-connected");
        await expectText(page, "#transport", "websocket");
        await click(page);
        await expectText(page, "#count", "1");

        await page.evaluate(() => {
          const w = window as unknown as { liveSocket: { replaceTransport(t: unknown): void }; lib: { LongPoll: unknown } };
          w.liveSocket.replaceTransport(w.lib.LongPoll);
        });
        await expectText(page, "#transport", "longpoll");
        await waitForClass(page, "phx-connected", 10000);
        await expectText(page, "#mounts", "1");
        await click(page);
        await expectText(page, "#count", "2");
        expect(await diagnostics(page)).toEqual([]);
        await screenshot(page, `liveview-replace-transport-${client.id}`);
        await record(page, "replace transport", client, ["phx-loading", "phx-connected", "phx-client-error phx-error phx-loading", "phx-connected"]);
      }, 30000);

      it("with transport: LongPoll from the start, LiveView mounts and clicks work", async () => {
        begin();
        const s = await serve({ websocket: false });
        const page = await openCounter(s, client, "&transport=longpoll");
        await waitForClass(page, "phx-connected", 10000);
        await expectText(page, "#transport", "longpoll");
        await click(page);
        await expectText(page, "#count", "1");
        expect(await diagnostics(page)).toEqual([]);
        await record(page, "long-poll transport", client, ["phx-loading", "phx-connected"]);
      }, 30000);
    });
  }

  /**
   * What must match between the two clients: every message they sent, in order (the page URL,
   * which names the client, aside), and how their channels ended. When an old connection's end
   * reaches the server relative to a new connection's messages is a race in both clients (e.g.
   * after replaceTransport), so the ends are compared as a sorted list.
   */
  function comparable(trace: string[] | undefined): { sent: string[]; ends: string[] } | undefined {
    if (!trace) return undefined;
    const lines = trace.map((line) => line.replace(/client=[a-z.-]+/g, "client=X"));
    return {
      sent: lines.filter((line) => !line.startsWith("terminate ")),
      ends: lines.filter((line) => line.startsWith("terminate ")).sort(),
    };
  }

  it("the server saw the same messages from LiveView on both Sockets, in every scenario", () => {
    expect([...traces.keys()].sort()).toEqual([
      "click",
      "disconnect and connect",
      "join refused",
      "join timeout",
      "long-poll fallback",
      "long-poll transport",
      "mount",
      "replace transport",
      "restart",
      "server diff",
      "view crash",
    ]);
    for (const [scenario, byClient] of traces) {
      const ours = byClient.get("phx-channels");
      const theirs = byClient.get("phoenix.js");
      expect(ours, `${scenario}: phx-channels trace`).toBeDefined();
      expect(comparable(ours), `${scenario}: what the server saw from phx-channels vs phoenix.js`).toEqual(comparable(theirs));
    }
  });
});
