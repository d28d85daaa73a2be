/**
 * The example app: the same sockets and channels as the Phoenix app the conformance recordings
 * were made against (see conformance/README.md), so every recording can be replayed against it.
 * Also what `phx-channels serve` runs.
 * @module
 */
import { Endpoint, type EndpointOptions } from "./endpoint";
import type { SocketOptions } from "./mount";
import {
  error,
  joined,
  noreply,
  ok,
  refuse,
  stop,
  type Assigns,
  type ChannelDef,
  type ChannelSocket,
  type ConnectInfo,
  type Payload,
} from "./types";
import { Presence } from "./presence";

/** Timings of the example app; the defaults are the recording app's. */
export interface ExampleAppOptions extends EndpointOptions {
  /** Default join delay of `slow:*` when the payload has no `sleep_ms` (ms). Default 11000. */
  slowJoinDefaultMs?: number;
}

function isMap(p: Payload): p is Record<string, unknown> {
  return typeof p === "object" && p !== null && !Array.isArray(p) && !(p instanceof ArrayBuffer) && !ArrayBuffer.isView(p);
}

/** An Elixir function clause that does not match raises: so does this. */
function requireMap(p: Payload, what: string): Record<string, unknown> {
  if (!isMap(p)) throw new TypeError(`${what}: payload is not a map`);
  return p;
}

function bytesOf(p: Payload, event: string): Uint8Array {
  if (p instanceof ArrayBuffer) return new Uint8Array(p);
  if (ArrayBuffer.isView(p)) return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
  throw new TypeError(`${event}: payload is not binary`);
}

function echo(event: string, payload: Payload): ReturnType<typeof ok> {
  if (event === "echo") return ok(payload);
  throw new Error(`no handleIn clause for "${event}"`);
}

function whoami(socket: ChannelSocket) {
  return ok({ auth_via: socket.assigns.auth_via ?? null, user: socket.assigns.user ?? null });
}

/** `room:*`: every behaviour the recordings exercise. */
export const roomChannel: ChannelDef = {
  join(_topic, payload) {
    return "reject" in requireMap(payload, "room join") ? refuse({ reason: "rejected" }) : joined();
  },
  handleIn(event, payload, socket) {
    switch (event) {
      case "echo":
        return ok(payload);
      case "fail":
        return error({ reason: "failed" });
      case "noreply":
        return noreply();
      case "broadcast":
        socket.broadcast("broadcasted", payload);
        return noreply();
      case "crash":
        throw new Error("crash requested");
      case "binary":
        return ok(bytesOf(payload, event));
      case "binary_size":
        return ok({ size: bytesOf(payload, event).byteLength });
      case "push_binary":
        socket.push("binary_push", new Uint8Array([1, 2, 3, 4, 255]));
        return ok({});
      case "stop":
        return stop();
      case "disconnect_me":
        if (socket.id !== null) socket.endpoint.broadcast(socket.id, "disconnect", {});
        return ok({ id: socket.id });
      case "whoami":
        return whoami(socket);
      default:
        throw new Error(`no handleIn clause for "${event}"`);
    }
  },
};

/**
 * `presence:*`: tracks `user_id` from the join payload (default "anonymous") with meta
 * `{name: user_id}` right after the join, then pushes `presence_state`.
 */
export function presenceChannel(presence: Presence): ChannelDef {
  return {
    join(_topic, payload, socket) {
      const userId = String(requireMap(payload, "presence join").user_id ?? "anonymous");
      socket.afterJoin(() => {
        presence.track(socket, userId, { name: userId });
        socket.push("presence_state", presence.list(socket.topic));
      });
      return joined();
    },
    handleIn: (event, payload) => echo(event, payload),
  };
}

/** `slow:*`: the join takes `sleep_ms` (default 11 s) before accepting with `{slept: true}`. */
export function slowChannel(defaultMs = 11_000): ChannelDef {
  return {
    join(_topic, payload, socket) {
      const ms = requireMap(payload, "slow join").sleep_ms;
      const delay = typeof ms === "number" && ms >= 0 ? ms : defaultMs;
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(joined({ slept: true })), delay);
        // A connection dropped mid-join must not leave the timer behind.
        socket.onTerminate(() => {
          clearTimeout(timer);
          resolve(refuse({ reason: "closed" }));
        });
      });
    },
    handleIn: (event, payload) => echo(event, payload),
  };
}

/** The recording app's connect for the auth sockets: params token, or (1.8) the auth token. */
function authConnect(params: Record<string, unknown>, info: ConnectInfo): Assigns | false {
  if (params.token === "secret") return { user: "authed", auth_via: "params" };
  if (info.authToken === "secret") return { user: "authed", auth_via: "auth_token" };
  return false;
}

/**
 * Builds the example app on a new {@link Endpoint} (not listening yet).
 * @example
 * ```ts
 * const app = createExampleApp({ logger: false });
 * const port = await app.listen({ port: 0 });
 * ```
 */
export function createExampleApp(options: ExampleAppOptions = {}): Endpoint {
  const { slowJoinDefaultMs, ...endpointOptions } = options;
  const endpoint = new Endpoint(endpointOptions);
  const presence = new Presence(endpoint);
  const channels = { "room:*": roomChannel, "presence:*": presenceChannel(presence), "slow:*": slowChannel(slowJoinDefaultMs) };
  const base: SocketOptions = { channels };
  endpoint
    .socket("/socket", { ...base, longpoll: { windowMs: 10_000 } })
    .socket("/short_socket", { ...base, websocket: false, longpoll: { windowMs: 2_000 } })
    .socket("/auth_socket", { ...base, connect: authConnect, authToken: true, longpoll: true })
    .socket("/auth_ci_socket", { ...base, connect: authConnect, longpoll: true })
    .socket("/auth_tp_socket", { ...base, connect: authConnect, longpoll: true })
    .socket("/origin_socket", { ...base, checkOrigin: ["http://good.example"], longpoll: true })
    .socket("/limited_socket", { ...base, maxFrameSize: 1024 })
    .socket("/idle_socket", { ...base, idleTimeoutMs: 2_000 })
    .socket("/maxch_socket", { ...base, maxChannels: 2 })
    .socket("/id_socket", {
      ...base,
      connect: (params) => ({ user: typeof params.user === "string" ? params.user : "anon" }),
      id: (assigns) => `users_socket:${String(assigns.user)}`,
      longpoll: { windowMs: 2_000 },
    });
  return endpoint;
}
