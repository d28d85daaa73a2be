/**
 * A fake browser page for the lifecycle scenarios: `window` and `document` event targets, and a
 * copy of phoenix.js loaded while they were in place (phoenix.js looks `window` up when its
 * module loads; ours looks it up on connect()).
 */
import { createRequire } from "node:module";
import type { Impl } from "./impls";

class FakeDocument extends EventTarget {
  visibilityState: "visible" | "hidden" = "visible";
}
class FakeWindow extends EventTarget {
  document = new FakeDocument();
}

export const fakeWindow = new FakeWindow();
export const fakeDocument = fakeWindow.document;

/** Puts the fake page on globalThis. */
export function installGlobals(): void {
  Object.assign(globalThis, { window: fakeWindow, document: fakeDocument });
}
/** Takes the fake page off globalThis. */
export function removeGlobals(): void {
  delete (globalThis as { window?: unknown }).window;
  delete (globalThis as { document?: unknown }).document;
}

installGlobals();
const require = createRequire(import.meta.url);
const phoenixPath = require.resolve("phoenix");
const cached = require.cache[phoenixPath];
delete require.cache[phoenixPath];
/** phoenix.js as loaded on the fake page. */
export const PhoenixWithWindow = require(phoenixPath) as Impl;
if (cached) require.cache[phoenixPath] = cached;
removeGlobals();

/** The page becomes hidden (visibilitychange on the document, then bubbling to the window). */
export function hide(): void {
  fakeDocument.visibilityState = "hidden";
  fakeDocument.dispatchEvent(new Event("visibilitychange"));
  fakeWindow.dispatchEvent(new Event("visibilitychange"));
}
/** The page becomes visible again. */
export function show(): void {
  fakeDocument.visibilityState = "visible";
  fakeDocument.dispatchEvent(new Event("visibilitychange"));
  fakeWindow.dispatchEvent(new Event("visibilitychange"));
}
