/**
 * What every browser test shares: Debian's Chromium driven by playwright-core, where screenshots
 * go, and the console errors a scenario causes on purpose when it breaks the connection.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { ROOT } from "./bundles";

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = path.join(ROOT, "test/e2e/screenshots");
export const hasChromium = existsSync(CHROMIUM);

if (!hasChromium) {
  const bar = "!".repeat(78);
  console.warn(
    `\n${bar}\n!! SKIPPING the browser end-to-end tests: ${CHROMIUM} is missing.\n` +
      `!! Install it with \`apt-get install -y chromium\` (CI's .ci/run does).\n${bar}\n`,
  );
}

/** Errors a scenario expects while it breaks the connection on purpose. */
export const NETWORK_NOISE: RegExp[] = [
  /WebSocket connection to .* failed/i,
  /net::ERR_CONNECTION_REFUSED/i,
  /net::ERR_CONNECTION_RESET/i,
  /net::ERR_EMPTY_RESPONSE/i,
  /Failed to load resource/i,
  /Error during WebSocket handshake/i,
];

/** Headless Chromium without sandbox, GPU, QUIC or background networking (nothing but the test's traffic). */
export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
