/**
 * The default WebSocket of the browser entry: the platform's global one, looked up lazily
 * (never at import time, so importing the SDK in SSR or a test runner touches nothing).
 * @module
 */
import type { TransportConstructor } from "../types";

/** The platform's `WebSocket`, or `undefined` where there is none (e.g. Node < 22). */
export function globalWebSocket(): TransportConstructor | undefined {
  const ws = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof ws === "function" ? (ws as TransportConstructor) : undefined;
}
