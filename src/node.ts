/**
 * The Node entry: the same exports as the main entry, except that `Socket` defaults its
 * `transport` to the `ws` package (through isomorphic-ws), so an absolute `ws://` URL works with
 * no setup. Chosen by the `node` condition of the package's `exports` map.
 *
 * @example
 * ```ts
 * import { Socket } from "phx-channels" // resolves here under Node
 * const socket = new Socket("ws://localhost:4000/socket")
 * socket.connect()
 * ```
 * @module
 */
import WebSocket from "isomorphic-ws";
import { Socket as BaseSocket } from "./socket";
import type { SocketOptions, TransportConstructor } from "./types";

export * from "./index";

/** {@link BaseSocket} with `ws` as the default transport. */
export class Socket extends BaseSocket {
  constructor(endPoint: string, opts: SocketOptions = {}) {
    super(endPoint, { ...opts, transport: opts.transport ?? (WebSocket as unknown as TransportConstructor) });
  }
}
