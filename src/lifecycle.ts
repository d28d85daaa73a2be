/**
 * Page and app lifecycle: what a socket does when the page is hidden, frozen, restored from the
 * back/forward cache, or the device goes offline. Installed by `socket.connect()`, removed by
 * `socket.disconnect()`; nothing here runs at import time, and outside browsers it does nothing.
 * @module
 */
import type { Socket } from "./socket";

interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

interface DocumentLike extends EventTargetLike {
  visibilityState?: string;
}

/** `value` when it can take and remove listeners, else null. */
function target(value: Partial<EventTargetLike> | undefined): EventTargetLike | null {
  return typeof value?.addEventListener === "function" && typeof value.removeEventListener === "function"
    ? (value as EventTargetLike)
    : null;
}

/**
 * Installs the listeners for `socket` and returns a function removing them.
 *
 * - `pagehide`: the connection is closed (a socket left open blocks the back/forward cache);
 *   `pageshow` reconnects it, unless the app disconnected or connected again meanwhile.
 * - `visibilitychange` to visible, `resume` (page unfrozen) and `online`: reconnect at once when
 *   the socket is down, or probe it with a short ping when it looks open (a connection that
 *   slept through a network change is often dead without knowing it).
 * - While the page is hidden, reconnect attempts wait (see the reconnect timer) instead of
 *   spinning; `offline` parks a reconnecting socket in the `waiting` state.
 * A socket the app disconnected is never brought back by any of these.
 */
export function installLifecycle(socket: Socket): () => void {
  const g = globalThis as { window?: Partial<EventTargetLike>; document?: Partial<EventTargetLike> };
  const win = target(g.window);
  const doc = target(g.document) as DocumentLike | null;
  let awaitingPageShow: number | null = null;
  const wake = (why: string) => (): void => socket._wake(why);
  const listeners: Array<[EventTargetLike | null, string, () => void]> = [
    [
      win,
      "pagehide",
      () => {
        if (socket._wantsConnection() && (socket._live() !== null || socket.reconnectTimer.isScheduled())) {
          socket._suspend("page hidden");
          awaitingPageShow = socket.connectClock;
        }
      },
    ],
    [
      win,
      "pageshow",
      () => {
        // Only when the hide above closed this very connection attempt: not after the app
        // disconnected or connected again meanwhile. (connectClock is a number, never null.)
        if (awaitingPageShow === socket.connectClock) {
          awaitingPageShow = null;
          socket._wake("page shown");
        }
      },
    ],
    [win, "online", wake("online")],
    [
      win,
      "offline",
      () => {
        if (socket._wantsConnection() && !socket.isConnected() && socket.reconnectTimer.isScheduled()) socket._suspend("offline");
      },
    ],
    // On the document where there is one (that is where browsers fire it), else on the window.
    [doc ?? win, "visibilitychange", () => doc?.visibilityState !== "hidden" && socket._wake("page visible")],
    [doc, "resume", wake("resume")],
  ];
  const each = (method: "addEventListener" | "removeEventListener"): void => {
    for (const [t, type, fn] of listeners) t?.[method](type, fn);
  };
  each("addEventListener");
  return () => each("removeEventListener");
}
