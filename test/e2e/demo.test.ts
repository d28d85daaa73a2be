/**
 * The demo chat in a real browser (Debian's Chromium through playwright-core), against the
 * reference server as `phx-channels serve` runs it, with the Node bot answering in the room.
 * Each scenario saves a screenshot of its final state under test/e2e/screenshots/ and fails on
 * any uncaught page error or console error (apart from the network errors a scenario causes on
 * purpose, e.g. while the server is down).
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startDemoServer, type DemoServer } from "../../src/cli/serve";
import { NETWORK_NOISE, SCREENSHOTS, hasChromium, launchChromium } from "./browser";
import { DEMO_DIR, prepareBundles, type Bundles } from "./bundles";



interface Tab {
  page: Page;
  errors: string[];
}

describe.skipIf(!hasChromium)("the demo chat in a real browser", () => {
  let browser: Browser;
  let bundles: Bundles;
  let server: DemoServer | undefined;
  let bot: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  let tabs: Tab[] = [];
  let allowedNoise: RegExp[] = [];

  beforeAll(async () => {
    bundles = await prepareBundles();
    console.info(`e2e: client bundles from ${bundles.source} (${bundles.distDir})`);
    browser = await launchChromium();
  });

  afterEach(async () => {
    await context?.close();
    context = undefined;
    await stopBot();
    await server?.close();
    server = undefined;
    const all = tabs.flatMap((t) => t.errors);
    const unexpected = all.filter((e) => !allowedNoise.some((re) => re.test(e)));
    if (all.length > unexpected.length) console.info(`e2e: tolerated ${all.length - unexpected.length} expected network error(s), e.g. ${all[0]}`);
    tabs = [];
    allowedNoise = [];
    expect(unexpected, "errors in the browser console").toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    bundles?.cleanup();
  });

  async function serve(opts: { port?: number; websocket?: boolean } = {}): Promise<DemoServer> {
    server = await startDemoServer({
      host: "127.0.0.1",
      port: opts.port ?? 0,
      demoDir: DEMO_DIR,
      distDir: bundles.distDir,
      ...(opts.websocket === false ? { websocket: false } : {}),
    });
    return server;
  }

  /** Starts demo/bot.mjs as a child process and waits for it to be in the room. */
  async function startBot(socketUrl: string, extra: string[] = []): Promise<void> {
    const child = spawn(process.execPath, [path.join(DEMO_DIR, "bot.mjs"), socketUrl, ...extra], {
      env: { ...process.env, PHX_CHANNELS_ENTRY: bundles.nodeEntry },
      stdio: ["ignore", "pipe", "pipe"],
    });
    bot = child;
    let output = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bot did not join in time:\n${output}`)), 10000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes("bot: ready")) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the bot exited with ${code}:\n${output}`));
      });
    });
  }

  async function stopBot(): Promise<void> {
    const child = bot;
    bot = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }

  async function open(url: string): Promise<Tab> {
    context ??= await browser.newContext({ viewport: { width: 1000, height: 640 } });
    const page = await context.newPage();
    const tab: Tab = { page, errors: [] };
    page.on("pageerror", (err) => tab.errors.push(`page error: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") tab.errors.push(`console error: ${msg.text()}`);
    });
    tabs.push(tab);
    await page.goto(url);
    return tab;
  }

  async function waitForState(page: Page, state: string, timeout = 10000): Promise<void> {
    await page.locator(`#state[data-state="${state}"]`).waitFor({ timeout });
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.locator("#send:not([disabled])").waitFor({ timeout: 10000 });
    await page.fill("#message", text);
    await page.click("#send");
  }

  /** Waits until the message list shows `body` from `user`. */
  async function waitForMessage(page: Page, user: string, body: string | RegExp, timeout = 10000): Promise<void> {
    await page
      .locator("#messages li.chat", { has: page.locator(".user", { hasText: user }) })
      .filter({ has: page.locator(".body", { hasText: body }) })
      .first()
      .waitFor({ timeout });
  }

  /** The names in the presence list, in the order shown (sorted). */
  function presenceNames(page: Page): Promise<(string | null)[]> {
    return page.locator("#presence li[data-user]").evaluateAll((els) => els.map((e) => e.getAttribute("data-user")));
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
  }

  /** The first scenario, for either page: connect, join, chat with the bot, see the ping time. */
  async function chatWithBot(pagePath: string, name: string, shot: string): Promise<void> {
    const s = await serve();
    await startBot(`${s.wsUrl}/socket`);
    const { page } = await open(`${s.url}${pagePath}?name=${name}`);
    await waitForState(page, "open");
    await expect.poll(() => page.textContent("#transport")).toBe("websocket");
    await page.locator("#messages li.system", { hasText: `joined room:lobby as ${name}` }).waitFor();

    await say(page, "!ping");
    await waitForMessage(page, name, "!ping");
    await waitForMessage(page, "bot", "pong");
    await say(page, "!time");
    await waitForMessage(page, "bot", /the time is \d{4}-\d\d-\d\dT/);

    // The round trip of socket.ping() is shown within a couple of seconds of opening.
    await expect.poll(() => page.getAttribute("#rtt", "data-rtt"), { timeout: 6000 }).toMatch(/^\d+(\.\d+)?$/);
    await expect.poll(() => presenceNames(page)).toEqual([name, "bot"].sort());
    expect(await page.textContent(`#presence li[data-user="${name}"]`)).toContain("(you)");
    await screenshot(page, shot);
  }

  it("the script-tag page connects, joins, and shows the bot's answer to a message", async () => {
    await chatWithBot("/", "alice", "script-tag-chat");
  }, 30000);

  it("the ES module page does the same", async () => {
    await chatWithBot("/esm.html", "erin", "esm-chat");
  }, 30000);

  it("two pages see each other in the presence list, and each other's messages", async () => {
    const s = await serve();
    const alice = await open(`${s.url}/?name=alice`);
    const bob = await open(`${s.url}/esm.html?name=bob`);
    await waitForState(alice.page, "open");
    await waitForState(bob.page, "open");

    const names = presenceNames;
    await expect.poll(() => names(alice.page)).toEqual(["alice", "bob"]);
    await expect.poll(() => names(bob.page)).toEqual(["alice", "bob"]);

    await say(bob.page, "hi alice");
    await waitForMessage(alice.page, "bob", "hi alice");

    // Closing one page takes it out of the other's list.
    await bob.page.close();
    await expect.poll(() => names(alice.page), { timeout: 10000 }).toEqual(["alice"]);
    await screenshot(alice.page, "presence");
  }, 30000);

  it("after the server stops and comes back on the same port, the page shows reconnecting, then open, and messages flow again", async () => {
    allowedNoise = NETWORK_NOISE;
    const first = await serve();
    const port = first.port;
    await startBot(`${first.wsUrl}/socket`);
    const { page } = await open(`${first.url}/?name=dana`);
    await waitForState(page, "open");
    await say(page, "before the restart");
    await waitForMessage(page, "dana", "before the restart");

    await first.close();
    server = undefined;
    await waitForState(page, "reconnecting");
    // The state line tells how the retrying goes (attempt and delay come from onStateChange).
    await expect.poll(() => page.textContent("#state"), { timeout: 5000 }).toMatch(/attempt \d+/);
    await screenshot(page, "reconnecting");

    await serve({ port });
    await waitForState(page, "open", 15000);
    await page.locator("#messages li.system", { hasText: "reconnected" }).waitFor();
    await page.locator("#messages li.system", { hasText: "rejoined room:lobby as dana" }).waitFor();
    await say(page, "after the restart");
    await waitForMessage(page, "dana", "after the restart");
    // The bot came back by itself too.
    await say(page, "!ping");
    await waitForMessage(page, "bot", "pong", 15000);
    await expect.poll(() => presenceNames(page), { timeout: 10000 }).toEqual(["bot", "dana"]);
    await screenshot(page, "reconnected");
  }, 45000);

  it("falls back to LongPoll when the server refuses WebSocket, and the chat works over it", async () => {
    allowedNoise = NETWORK_NOISE;
    const s = await serve({ websocket: false });
    await startBot(`${s.wsUrl}/socket`, ["--longpoll"]);
    const { page } = await open(`${s.url}/?name=frank&fallback=1500`);
    await waitForState(page, "open", 15000);
    await expect.poll(() => page.textContent("#transport")).toBe("longpoll");
    await say(page, "!ping");
    await waitForMessage(page, "frank", "!ping");
    await waitForMessage(page, "bot", "pong");
    await expect.poll(() => presenceNames(page)).toEqual(["bot", "frank"]);
    await screenshot(page, "longpoll-fallback");
  }, 30000);
});
