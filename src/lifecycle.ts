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

function target(value: unknown): EventTargetLike | null {
  return value !== null &&
    typeof value === "object" &&
    typeof (value as EventTargetLike).addEventListener === "function" &&
    typeof (value as EventTargetLike).removeEventListener === "function"
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
  const g = globalThis as { window?: unknown; document?: unknown };
  const win = target(g.window);
  const doc = target(g.document) as DocumentLike | null;
  if (win === null && doc === null) return () => {};

  let awaitingPageShow: number | null = null;
  const onPageHide = (): void => {
    if (!socket._wantsConnection()) return;
    if (socket.conn !== null || socket.reconnectTimer.isScheduled()) {
      socket._suspend("page hidden");
      awaitingPageShow = socket.connectClock;
    }
  };
  const onPageShow = (): void => {
    if (awaitingPageShow !== null && awaitingPageShow === socket.connectClock) {
      awaitingPageShow = null;
      socket._wake("page shown");
    }
  };
  const onVisibility = (): void => {
    if (doc !== null && doc.visibilityState === "hidden") return;
    socket._wake("page visible");
  };
  const onResume = (): void => socket._wake("resume");
  const onOnline = (): void => socket._wake("online");
  const onOffline = (): void => {
    if (!socket._wantsConnection() || socket.isConnected()) return;
    if (socket.reconnectTimer.isScheduled()) socket._suspend("offline");
  };

  const pairs: Array<[EventTargetLike, string, () => void]> = [];
  if (win !== null) {
    pairs.push([win, "pagehide", onPageHide], [win, "pageshow", onPageShow], [win, "online", onOnline], [win, "offline", onOffline]);
  }
  if (doc !== null) {
    pairs.push([doc, "visibilitychange", onVisibility], [doc, "resume", onResume]);
  } else if (win !== null) {
    pairs.push([win, "visibilitychange", onVisibility]);
  }
  for (const [t, type, fn] of pairs) t.addEventListener(type, fn);
  return () => {
    for (const [t, type, fn] of pairs) t.removeEventListener(type, fn);
  };
}
